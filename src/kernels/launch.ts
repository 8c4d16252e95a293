// Launch-shape helpers shared by the training kernels (gelu, layernorm, softmax, cross_entropy,
// embedding, adamw).
import { OpError } from '../gpu/errors.ts';
import { engine } from '../gpu/runtime.ts';

/**
 * True when the engine runs a CPU adapter's kernel class (software or portable: lavapipe,
 * SwiftShader), where launch shapes differ; false for the hardware class, so forcing a class
 * (src/gpu/kernel-class.ts) gives every op that class's launch shapes too.
 */
export function softwareAdapter(): boolean {
  return engine().kernels !== 'hardware';
}

/**
 * Workgroups for a grid-stride loop over `items`. A software adapter runs workgroups one after
 * another on a few CPU threads and pays a fixed cost per workgroup, so it gets a few long-running
 * groups; a hardware GPU gets enough groups to fill every core.
 */
export function strideGroups(items: number, wg: number): number {
  const cap = softwareAdapter() ? 64 : 4096;
  return Math.max(1, Math.min(cap, Math.ceil(items / wg)));
}

/** Workgroup counts [x, y] for `groups` groups, folded into 2-D past the 65535 limit (shader: wid.x + wid.y * nwg.x). */
export function foldGroups(groups: number): [number, number] {
  const max = 65535;
  if (groups <= max) return [Math.max(1, groups), 1];
  return [max, Math.ceil(groups / max)];
}

/** How a row-wise kernel (shaders/rows.wgsl) spreads rows over invocations. */
export interface RowLayout {
  /** Invocations per workgroup. */
  wg: number;
  /** Invocations per row (a power of two dividing wg). */
  tpr: number;
}

const pow2AtLeast = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/**
 * The layout for rows of `items` loads each. On a software adapter a row per invocation: lavapipe
 * runs 8 invocations as one SIMD vector and a workgroup barrier costs more than the row. On a GPU,
 * enough invocations per row for about four loads each, in workgroups of at least 128.
 */
export function rowLayout(items: number, forced?: Partial<RowLayout>): RowLayout {
  let tpr = forced?.tpr ?? (softwareAdapter() ? 1 : Math.min(256, Math.max(32, pow2AtLeast(Math.ceil(items / 4)))));
  const wg = forced?.wg ?? (softwareAdapter() ? 16 : Math.max(tpr, 128));
  tpr = Math.min(tpr, wg);
  if (pow2AtLeast(wg) !== wg || pow2AtLeast(tpr) !== tpr || wg > 256) {
    throw new OpError('rowLayout', `workgroup size ${wg} and invocations per row ${tpr} must be powers of two, wg <= 256`);
  }
  return { wg, tpr };
}

/** Workgroups for `rows` rows in a RowLayout. */
export function rowGroups(rows: number, layout: RowLayout): [number, number] {
  return foldGroups(Math.ceil(rows / (layout.wg / layout.tpr)));
}
