// Kernel selection by adapter class (src/gpu/kernel-class.ts): mocked adapters pick their family,
// the ops with variants follow it, and the override (init option, WEBGPU_BERT_KERNELS) is checked.
import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/node.ts';
import { engine } from '../src/node.ts';
import { chooseKernelClass, fixedSubgroupSize, parseKernelClass, type AdapterTraits, type KernelClass } from '../src/gpu/kernel-class.ts';
import { MATMUL_TILES, matmulConfig } from '../src/kernels/matmul.ts';
import { attentionVariant, fusedHeadDim } from '../src/kernels/attention.ts';
import { gpu } from './util/gpu.ts';

beforeAll(gpu);
afterEach(() => engine().useKernels('auto'));

// What adapters report (adapter.info, the 'subgroups' feature, AdapterReport.software).
const ADAPTERS: Record<string, AdapterTraits> = {
  'NVIDIA H100 (Vulkan)': { software: false, hasSubgroups: true, subgroupMinSize: 32, subgroupMaxSize: 32 },
  'AMD RDNA (wave32/64)': { software: false, hasSubgroups: true, subgroupMinSize: 32, subgroupMaxSize: 64 },
  'Intel Xe (8-32)': { software: false, hasSubgroups: true, subgroupMinSize: 8, subgroupMaxSize: 32 },
  'Apple M (no subgroups feature)': { software: false, hasSubgroups: false, subgroupMinSize: 0, subgroupMaxSize: 0 },
  'lavapipe (8)': { software: true, hasSubgroups: true, subgroupMinSize: 8, subgroupMaxSize: 8 },
  'SwiftShader (4)': { software: true, hasSubgroups: true, subgroupMinSize: 4, subgroupMaxSize: 4 },
  'software, no subgroups': { software: true, hasSubgroups: false, subgroupMinSize: 0, subgroupMaxSize: 0 },
  'software, varying subgroups': { software: true, hasSubgroups: true, subgroupMinSize: 4, subgroupMaxSize: 16 },
};

const WANT: Record<string, { cls: KernelClass; matmul: 'sg' | 'tiled'; attention: string }> = {
  'NVIDIA H100 (Vulkan)': { cls: 'hardware', matmul: 'tiled', attention: 'flash' },
  'AMD RDNA (wave32/64)': { cls: 'hardware', matmul: 'tiled', attention: 'flash' },
  'Intel Xe (8-32)': { cls: 'hardware', matmul: 'tiled', attention: 'flash' },
  'Apple M (no subgroups feature)': { cls: 'hardware', matmul: 'tiled', attention: 'flash' },
  'lavapipe (8)': { cls: 'software', matmul: 'sg', attention: 'subgroup' },
  'SwiftShader (4)': { cls: 'software', matmul: 'sg', attention: 'portable' },
  'software, no subgroups': { cls: 'portable', matmul: 'tiled', attention: 'portable' },
  'software, varying subgroups': { cls: 'portable', matmul: 'tiled', attention: 'portable' },
};

/** The parts of an Engine that kernel selection reads. */
const mockEngine = (traits: AdapterTraits, forced?: KernelClass) => ({ traits, kernels: chooseKernelClass(traits, forced) }) as unknown as Engine;

describe('kernel class by adapter', () => {
  for (const [name, traits] of Object.entries(ADAPTERS)) {
    it(name, () => {
      const e = mockEngine(traits);
      const want = WANT[name];
      expect(e.kernels).toBe(want.cls);
      const { tiles, subgroup } = matmulConfig(e);
      expect(tiles).toBe(MATMUL_TILES[want.cls]);
      expect(tiles.main).toBe(want.matmul);
      if (tiles.main === 'sg') expect(subgroup).toBe(traits.subgroupMinSize);
      expect(attentionVariant(e)).toBe(want.attention);
    });
  }

  it('hardware adapters get register-blocked tiles and flash attention for any head dim up to 512', () => {
    const h100 = mockEngine(ADAPTERS['NVIDIA H100 (Vulkan)']);
    const t = matmulConfig(h100).tiles;
    expect(t.TM * t.TN).toBeGreaterThanOrEqual(16);
    expect(t.TM * t.WGY).toBeGreaterThanOrEqual(64);
    for (const D of [1, 26, 64, 128, 256, 512]) expect(fusedHeadDim(D, h100)).toBe(true);
    expect(fusedHeadDim(513, h100)).toBe(false);
    const lavapipe = mockEngine(ADAPTERS['lavapipe (8)']);
    expect(fusedHeadDim(26, lavapipe)).toBe(false);
    expect(fusedHeadDim(64, lavapipe)).toBe(true);
  });

  it('a forced class is taken where it can run, and refused with a reason where it cannot', () => {
    for (const cls of ['hardware', 'portable'] as const) {
      for (const traits of Object.values(ADAPTERS)) expect(chooseKernelClass(traits, cls)).toBe(cls);
    }
    expect(chooseKernelClass(ADAPTERS['SwiftShader (4)'], 'software')).toBe('software');
    expect(() => chooseKernelClass(ADAPTERS['NVIDIA H100 (Vulkan)'], 'software')).toThrow('this adapter has subgroup sizes 32-32');
    expect(() => chooseKernelClass(ADAPTERS['software, no subgroups'], 'software'))
      .toThrow("kernels 'software' need subgroups of a fixed size 4, 8 or 16; this adapter has no subgroups (use 'portable' or 'hardware')");
    expect(() => chooseKernelClass(ADAPTERS['AMD RDNA (wave32/64)'], 'software')).toThrow('this adapter has subgroup sizes 32-64');
    expect(fixedSubgroupSize(ADAPTERS['NVIDIA H100 (Vulkan)'])).toBe(0);
  });

  it('parses the override and names its source on a bad value', () => {
    expect(parseKernelClass(undefined, 'X')).toBeUndefined();
    expect(parseKernelClass('auto', 'X')).toBeUndefined();
    expect(parseKernelClass('', 'X')).toBeUndefined();
    expect(parseKernelClass('hardware', 'X')).toBe('hardware');
    expect(() => parseKernelClass('gpu', 'WEBGPU_BERT_KERNELS')).toThrow('WEBGPU_BERT_KERNELS must be one of software, hardware, portable or auto, got "gpu"');
    expect(() => engine().useKernels('fast' as KernelClass)).toThrow('useKernels() must be one of');
  });

  it('useKernels switches this engine, and auto restores its adapter\'s class', () => {
    const own = engine().kernels;
    engine().useKernels('hardware');
    expect(engine().kernels).toBe('hardware');
    expect(attentionVariant()).toBe('flash');
    engine().useKernels('auto');
    expect(engine().kernels).toBe(own);
  });
});

describe('WEBGPU_BERT_KERNELS and init({ kernels })', () => {
  const child = (code: string, env: Record<string, string> = {}) => spawnSync(process.execPath, ['--import', './scripts/register-ts.mjs', '--input-type=module', '-e', code], {
    env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000,
  });
  const script = (init: string) => `import { init, engine, shutdown, tensor, ops } from './src/node.ts';
    await ${init};
    const y = await ops.matmul(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([1, 0, 0, 1, 1, 1], [3, 2])).data();
    console.log(JSON.stringify({ kernels: engine().kernels, y: Array.from(y) }));
    shutdown();`;
  const result = (r: ReturnType<typeof child>) => JSON.parse(r.stdout.trim().split('\n').at(-1)!);

  it('the variable forces a class in a new process, the option wins over it, a bad value fails init', () => {
    const env = child(script('init()'), { WEBGPU_BERT_KERNELS: 'portable' });
    expect(env.status, env.stderr).toBe(0);
    expect(result(env)).toEqual({ kernels: 'portable', y: [4, 5, 10, 11] });
    const opt = child(script("init({ kernels: 'hardware' })"), { WEBGPU_BERT_KERNELS: 'portable' });
    expect(opt.status, opt.stderr).toBe(0);
    expect(result(opt)).toEqual({ kernels: 'hardware', y: [4, 5, 10, 11] });
    const bad = child(script('init()'), { WEBGPU_BERT_KERNELS: 'fastest' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('WEBGPU_BERT_KERNELS must be one of software, hardware, portable or auto, got "fastest"');
  });
});
