// wgsl_reflect's detectRaces runs every invocation of a workgroup in lockstep on the CPU and reports
// two invocations touching the same memory, at least one writing, with no barrier between them.
// Every entry point of the training-kernel shaders runs here on a tiny problem, with the overrides
// the launchers use, including the workgroup-reduced row layouts (TPR > 1) a GPU gets and buffer
// contents the kernels expect (e.g. the counting sort's cursors), since races can depend on data.
import { describe, expect, it } from 'vitest';
import { detectRaces } from 'wgsl_reflect/wgsl_reflect.module.js';
import { packUniforms, reflectKernel } from '../src/gpu/kernel.ts';
import { loadShader, setShaderLoader } from '../src/gpu/shaders.ts';
import { diskShaderLoader } from '../src/gpu/dawn.node.ts';

setShaderLoader(diskShaderLoader());

type Contents = Record<string, ArrayBufferView>;

interface RaceCase {
  shader: string;
  entry: string;
  uniforms: Record<string, number>;
  overrides?: Record<string, number | boolean>;
  workgroups?: number[];
  buffers?: Contents;
}

const ROWS = { WG: 8, TPR: 4 };   // two rows per workgroup, four invocations each
const ln = { rows: 3, C: 8, eps: 1e-5, rows_per_block: 2, blocks: 2 };
const ce = { rows: 3, V: 9, ignore_index: -100, dloss: 1 };

// The embedding backward's counting sort, on the host, for ids of 6 tokens over V = 4 in 2 blocks.
const ids = new Int32Array([3, 1, 3, 0, 3, 1]);
const emb = { tokens: 6, V: 4, C: 2, seg_len: 0, seg_stride: 0, range: 4, nb: 2, block_len: 3, rows_per_group: 2 };
function sortState() {
  const counts = new Uint32Array(emb.V * emb.nb);
  ids.forEach((id, t) => counts[id * emb.nb + Math.floor(t / emb.block_len)]++);
  const cursor = new Uint32Array(counts.length);
  const rowStart = new Uint32Array(emb.V + 1);
  let run = 0;
  counts.forEach((c, i) => {
    cursor[i] = run;
    if (i % emb.nb === 0) rowStart[i / emb.nb] = run;
    run += c;
  });
  rowStart[emb.V] = run;
  const order = Uint32Array.from([...ids.keys()].sort((a, b) => ids[a] - ids[b] || a - b));
  return { counts, cursor, rowStart, order };
}
const sorted = sortState();

// Not run here: layernorm forward / backward_dx, softmax forward / backward and cross_entropy
// backward with TPR > 1 on their scalar paths, and embedding place. wgsl_reflect 1.6's lockstep
// interpreter gives every invocation of those entry points the `let` values of the workgroup's last
// invocation (row and lane written to a debug buffer read 1 and 3 for all eight invocations), so it
// reports hundreds of races that no real execution has. Their vec4 twins index rows identically
// and run clean here; the GPU parity tests force the same layouts.
const INTERPRETER_BUG = new Set(['layernorm:forward', 'layernorm:backward_dx', 'softmax:forward', 'softmax:backward', 'cross_entropy:backward', 'embedding:place']);

const ALL_CASES: RaceCase[] = [
  ...['forward', 'forward_vec4', 'backward_dx', 'backward_dx_vec4'].flatMap((entry) => [
    { shader: 'layernorm', entry, uniforms: ln, overrides: ROWS, workgroups: [2] },
    { shader: 'layernorm', entry, uniforms: ln, overrides: { WG: 4, TPR: 1 } },
  ]),
  { shader: 'layernorm', entry: 'backward_params', uniforms: ln, overrides: { WG: 8 }, workgroups: [2] },
  { shader: 'layernorm', entry: 'backward_params_vec4', uniforms: ln, overrides: { WG: 4 } },
  { shader: 'layernorm', entry: 'columns', uniforms: ln, overrides: { WG: 8 } },
  ...['forward', 'backward'].map((entry) => ({ shader: 'softmax', entry, uniforms: { rows: 3, C: 9 }, overrides: { ...ROWS, CHUNK: 2 }, workgroups: [2] })),
  ...['forward_vec4', 'backward_vec4'].map((entry) => ({ shader: 'softmax', entry, uniforms: { rows: 3, C: 8 }, overrides: { ...ROWS, CHUNK: 1 }, workgroups: [2] })),
  ...['forward', 'backward', 'backward_vec4'].flatMap((entry) => [
    { shader: 'cross_entropy', entry, uniforms: ce, overrides: { ...ROWS, CHUNK: 1 }, workgroups: [2] },
    { shader: 'cross_entropy', entry, uniforms: ce, overrides: { WG: 4, TPR: 1, CHUNK: 1 } },
  ]),
  { shader: 'cross_entropy', entry: 'reduce', uniforms: ce, overrides: { RWG: 8 } },
  { shader: 'cross_entropy', entry: 'scale_from_weights', uniforms: ce, overrides: { RWG: 8 } },
  { shader: 'gelu', entry: 'forward', uniforms: { n4: 5, stride: 8 }, overrides: { WG: 4 }, workgroups: [2] },
  { shader: 'gelu', entry: 'backward', uniforms: { n4: 5, stride: 8 }, overrides: { WG: 4, APPROX: true }, workgroups: [2] },
  { shader: 'adamw', entry: 'main', uniforms: { n4: 5, stride: 8, beta1: 0.9, beta2: 0.999, eps: 1e-6, decay: 1, step_size: 1e-3, inv_sqrt_bc2: 1 }, overrides: { WG: 4 }, workgroups: [2] },
  { shader: 'norm', entry: 'sumsq', uniforms: { n: 37, groups: 2, offset: 0, max_norm: 1 }, overrides: { WG: 8 }, workgroups: [2] },
  { shader: 'norm', entry: 'finish', uniforms: { n: 5, groups: 0, offset: 0, max_norm: 1 }, overrides: { WG: 8 } },
  { shader: 'norm', entry: 'clip', uniforms: { n: 0, groups: 0, offset: 0, max_norm: 1 } },
  ...['gather', 'gather_vec4', 'validate'].map((entry) => ({
    shader: 'embedding', entry, uniforms: emb, overrides: { WG: 4 }, workgroups: [1, 2], buffers: { ids },
  })),
  { shader: 'embedding', entry: 'hist', uniforms: emb, overrides: { WG: 4 }, buffers: { ids } },
  { shader: 'embedding', entry: 'scan', uniforms: emb, overrides: { SWG: 4 }, buffers: { counts: sorted.counts } },
  { shader: 'embedding', entry: 'place', uniforms: emb, overrides: { WG: 4 }, buffers: { ids, cursor: sorted.cursor } },
  { shader: 'metrics', entry: 'argmax', uniforms: { rows: 3, V: 9, ignore_index: 0, weight: 0 }, overrides: ROWS, workgroups: [2] },
  { shader: 'metrics', entry: 'argmax', uniforms: { rows: 3, V: 9, ignore_index: 0, weight: 0 }, overrides: { WG: 4, TPR: 1 } },
  { shader: 'metrics', entry: 'count', uniforms: { rows: 37, V: 0, ignore_index: -100, weight: 0 }, overrides: { RWG: 8, HAS_WEIGHTS: true } },
  { shader: 'metrics', entry: 'accumulate', uniforms: { rows: 1, V: 0, ignore_index: 0, weight: 2 } },
  ...['accumulate', 'accumulate_vec4'].map((entry) => ({
    shader: 'embedding', entry, uniforms: emb, overrides: { WG: 4 }, workgroups: [1, 2],
    buffers: { starts: sorted.rowStart, order: sorted.order },
  })),
];

const CASES = ALL_CASES.filter((c) => {
  if (!INTERPRETER_BUG.has(`${c.shader}:${c.entry}`)) return true;
  return c.overrides?.TPR === 1;   // the row-per-invocation layout of those entries does run clean
});

/** Every storage binding 1 KiB of small values (0.25 as f32; valid ids and labels as i32 zeros), or the given contents. */
function bindGroupsFor(c: RaceCase): Record<string, Record<string, unknown>> {
  const layout = reflectKernel(loadShader(c.shader), c.entry);
  const group: Record<string, unknown> = {};
  for (const b of layout.bindings) {
    if (b.kind === 'uniform') {
      const data = new ArrayBuffer(layout.uniform!.size);
      packUniforms(c.shader, layout.uniform!, c.uniforms, new DataView(data), 0);
      group[String(b.binding)] = { uniform: data };
      continue;
    }
    const data = new ArrayBuffer(1024);
    const given = c.buffers?.[b.name];
    if (given) new Uint8Array(data).set(new Uint8Array(given.buffer, given.byteOffset, given.byteLength));
    else if (!/^(ids|labels|counts|cursor|row_start|sorted|first_bad)$/.test(b.name)) new Float32Array(data).fill(0.25);
    group[String(b.binding)] = data;
  }
  return { '0': group };
}

/**
 * The interpreter applies override constants unreliably (workgroup arrays sized by one fail, and
 * helper functions can see the declared default): substitute the launch's values (or the declared
 * defaults) as plain constants and literal array sizes first.
 */
function specialise(code: string, overrides: Record<string, number | boolean>): string {
  const values = new Map<string, string>();
  const out = code.replace(/override\s+(\w+)\s*:\s*(\w+)\s*=\s*([^;]+);/g, (_, name: string, type: string, init: string) => {
    const v = name in overrides ? String(overrides[name]) : init.trim();
    values.set(name, v);
    return `const ${name}: ${type} = ${type === 'u32' && !v.endsWith('u') && v !== 'true' && v !== 'false' ? `${v}u` : v};`;
  });
  return out.replace(/array<(\w+(?:<\w+>)?),\s*([A-Z_]+)>/g, (m, type: string, name: string) => (values.has(name) ? `array<${type}, ${values.get(name)}>` : m));
}

describe('no data races (wgsl_reflect detectRaces)', () => {
  for (const c of CASES) {
    it(`${c.shader}:${c.entry} ${JSON.stringify(c.overrides ?? {})}`, () => {
      const code = specialise(loadShader(c.shader).code, c.overrides ?? {});
      const result = detectRaces(code, c.entry, c.workgroups ?? [1], bindGroupsFor(c), { constants: c.overrides ?? {} });
      expect(result.errors).toEqual([]);
      expect(result.races.map((r) => r.message).slice(0, 3)).toEqual([]);
    });
  }
});
