// Which family of kernels an engine runs, decided once from its adapter, in this one place. Ops
// with variants (matmul, attention) look it up; the row-wise and elementwise ops run the same
// shaders everywhere but take their launch shapes from it (src/kernels/launch.ts).
//   software  CPU adapters whose subgroups have a fixed size of 4, 8 or 16 (lavapipe, SwiftShader):
//             a lane is a SIMD lane, so rows stay in lanes and are exchanged by subgroup
//             broadcasts (matmul_sg.wgsl, attention.wgsl).
//   hardware  GPUs: workgroup-memory tiles and register blocks, no subgroups (matmul_tiled.wgsl with
//             MATMUL_TILES.hardware, attention_flash.wgsl).
//   portable  CPU adapters without usable subgroups: small tiles, no subgroups (matmul_tiled.wgsl with
//             MATMUL_TILES.portable, attention_portable.wgsl).
// `init({ kernels })` or WEBGPU_BERT_KERNELS (Node) forces one; forcing 'software' where its
// subgroup kernels cannot run is an error at init, never a wrong result later.

export const KERNEL_CLASSES = ['software', 'hardware', 'portable'] as const;
export type KernelClass = (typeof KERNEL_CLASSES)[number];

/** What the choice depends on (read from the adapter, or mocked in tests). */
export interface AdapterTraits {
  /** A CPU implementation (AdapterReport.software). */
  software: boolean;
  /** The device has the 'subgroups' feature. */
  hasSubgroups: boolean;
  /** adapter.info.subgroupMinSize / subgroupMaxSize (0 when the adapter does not say). */
  subgroupMinSize: number;
  subgroupMaxSize: number;
}

export function adapterTraits(info: GPUAdapterInfo, software: boolean, hasSubgroups: boolean): AdapterTraits {
  const i = info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return { software, hasSubgroups, subgroupMinSize: i.subgroupMinSize ?? 0, subgroupMaxSize: i.subgroupMaxSize ?? 0 };
}

/**
 * The subgroup size the software kernels can rely on: the adapter's, when it is fixed
 * (min == max) and one of 4, 8, 16; else 0. Never assumed: a GPU's subgroups are 16-128 wide
 * and may vary between pipelines, which is why the hardware kernels use none.
 */
export function fixedSubgroupSize(t: AdapterTraits): number {
  const min = t.subgroupMinSize;
  return t.hasSubgroups && min > 0 && min === t.subgroupMaxSize && [4, 8, 16].includes(min) ? min : 0;
}

/** Validates a user-supplied class; `source` names where it came from for the error. */
export function parseKernelClass(value: unknown, source: string): KernelClass | undefined {
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if (typeof value === 'string' && (KERNEL_CLASSES as readonly string[]).includes(value)) return value as KernelClass;
  throw new Error(`${source} must be one of ${KERNEL_CLASSES.join(', ')} or auto, got ${JSON.stringify(value)}`);
}

/** The class an adapter gets, or the forced one after checking it can run there. */
export function chooseKernelClass(t: AdapterTraits, forced?: KernelClass): KernelClass {
  const fixed = fixedSubgroupSize(t);
  if (forced === 'software' && !fixed) {
    const sizes = t.hasSubgroups ? `subgroup sizes ${t.subgroupMinSize}-${t.subgroupMaxSize}` : 'no subgroups';
    throw new Error(`kernels 'software' need subgroups of a fixed size 4, 8 or 16; this adapter has ${sizes} (use 'portable' or 'hardware')`);
  }
  if (forced) return forced;
  if (!t.software) return 'hardware';
  return fixed ? 'software' : 'portable';
}
