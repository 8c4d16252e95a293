// Every compute entry point of every shader in shaders/ runs through wgsl_reflect's race detector:
// all invocations of a workgroup in lockstep, flagging two invocations that touch the same
// workgroup or storage memory (at least one writing) with no barrier between them, and barriers in
// divergent control flow. The entry points are enumerated from the WGSL, so a new shader or entry
// point without a case here fails this test; files that are only `//!include`d (common.wgsl,
// rows.wgsl, ...) are covered through the shaders that include them.
//
// Each case is a tiny problem with the overrides its launcher uses, including the layouts a GPU
// gets (row-wise kernels with several invocations per row reduce through workgroup memory), every
// matmul operand layout, and the buffer contents a kernel expects where the access pattern
// depends on data (the embedding backward's counting sort).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CallExpr, MemoryTracker, WgslReflect, detectRaces } from 'wgsl_reflect/wgsl_reflect.module.js';
import { diskShaderLoader } from '../src/gpu/dawn.node.ts';
import { packUniforms, reflectKernel } from '../src/gpu/kernel.ts';
import { loadShader, setShaderLoader } from '../src/gpu/shaders.ts';

setShaderLoader(diskShaderLoader());

// ---------------------------------------------------------------- the interpreter

// wgsl_reflect 1.6 keeps the return value of a user function call on the call's AST node
// (CallExpr.cachedReturnValue), shared by every invocation. Lockstep runs all invocations through
// the callee before any of them reads the result, so all of them read the last one's: `let row =
// row_index(...)` gave every invocation the same row, and hundreds of races no real execution has.
// The scheduler names the invocation it is about to step (MemoryTracker.currentInvocation) before
// every step, so keeping one cached value per invocation restores the real semantics. Memory
// accesses are recorded exactly as before (the removed-barrier tests below still find races).
let stepping = 0;
Object.defineProperty(MemoryTracker.prototype, 'currentInvocation', {
  configurable: true,
  get: () => stepping,
  set: (i: number) => { stepping = i; },
});
const RESULTS = Symbol('call results per invocation');
type CallNode = { [RESULTS]?: Map<number, unknown> };
Object.defineProperty(CallExpr.prototype, 'cachedReturnValue', {
  configurable: true,
  get(this: CallNode) { return this[RESULTS]?.get(stepping) ?? null; },
  set(this: CallNode, v: unknown) { (this[RESULTS] ??= new Map()).set(stepping, v); },
});

/**
 * What else the interpreter cannot do, where it says so (console.error) and carries on. Each gap
 * loses values, never addresses, in the shaders listed: no address in them depends on a dropped
 * value, so the access pattern checked is the real one. Any other message fails the test.
 */
const INTERPRETER_GAPS: { message: RegExp; shaders: string[]; why: string }[] = [
  {
    message: /^SetDataValue: Type vec\w+ is not an array$/,
    shaders: ['matmul_sg', 'matmul_gemv'],
    why: 'a store to one component of a vector indexed out of an array (`bk[i][c] = v`) is dropped: operand values only',
  },
  {
    message: /^Invalid assignment\. Line \d+$/,
    shaders: ['attention'],
    why: 'a store through a pointer into a private array of matrices is dropped: score and accumulator values only',
  },
  {
    message: /^Invalid assignment to LANE\. Line \d+$/,
    shaders: ['attention'],
    why: 'there is no subgroup_invocation_id builtin, so the lane stays unset; it only picks the row a lane loads for the exchange, from read-only buffers',
  },
];
// Subgroup operations also run one lane wide (subgroupShuffle / subgroupBroadcast return the
// lane's own value): exchanged values are wrong, but in matmul_sg and attention only values pass
// through them. Every store is indexed by local_invocation_index and workgroup_id.

/**
 * Entry points the interpreter cannot execute at all, with the reason. Each keeps its launch case
 * in CASES, and the test checks that it still fails to run: when a new wgsl_reflect runs it, the
 * test says so and the entry moves to the checked ones.
 */
const NOT_INTERPRETABLE: Record<string, string> = {
  'attention:forward': 'select() on an element of an array<vec4<bool>, 2> (valid8 in attention_kernels.wgsl): the interpreter reads the element as a non-vector and throws',
};

// ---------------------------------------------------------------- cases

interface RaceCase {
  uniforms: Record<string, number | number[]>;
  overrides?: Record<string, number | boolean>;
  /** Workgroup grid; [1] when absent. */
  workgroups?: number[];
  /** Contents by binding name; other storage buffers hold 0.25 (f32 elements) or 0 (integer elements). */
  buffers?: Record<string, ArrayBufferView>;
}

const ROWS = { WG: 8, TPR: 4 };          // a GPU's layout: two rows per workgroup, four invocations each
const ROW_PER_LANE = { WG: 4, TPR: 1 };  // a CPU adapter's: one row per invocation, no barrier
const rowCases = (uniforms: RaceCase['uniforms'], gpu: RaceCase['overrides'] = {}, cpu: RaceCase['overrides'] = {}): RaceCase[] => [
  { uniforms, overrides: { ...ROWS, ...gpu }, workgroups: [2] },
  { uniforms, overrides: { ...ROW_PER_LANE, ...cpu } },
];
const ln = { rows: 3, C: 8, eps: 1e-5, rows_per_block: 2, blocks: 2 };
const ce = { rows: 3, V: 9, ignore_index: -100, dloss: 1, guard_slot: 1 };
// Labels with two out of range: the forward reports both to the same guard slot (atomics, no race).
const badLabels = new Int32Array([2, 9, -3]);
const adam = { n4: 5, stride: 8, beta1: 0.9, beta2: 0.999, eps: 1e-6, decay: 1, step_size: 1e-3, inv_sqrt_bc2: 1 };

// The embedding backward's counting sort, on the host, for the ids of 6 tokens over V = 4 in 2 blocks.
const ids = new Int32Array([3, 1, 3, 0, 3, 1]);
const emb = { tokens: 6, V: 4, C: 2, seg_len: 0, seg_stride: 0, range: 4, nb: 2, block_len: 3, rows_per_group: 2, guard_slot: 1 };
// Ids with bad ones in both workgroups of the gather cases, reported to one guard slot.
const badIds = new Int32Array([3, -1, 7, 0, 9, 1]);
const sorted = (() => {
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
})();

// Matmul at M = N = K = 9 (no dim a multiple of a tile or of 4), with every epilogue step
// (bias | residual | save pre), or split-K partials (8) in 3 splits.
const mm = (epilogue: number, splits = 1) => ({
  M: 9, N: 9, K: 9, batches: 1, bdims: [1, 1, 1, 1], a_bstride: [0, 0, 0, 0], b_bstride: [0, 0, 0, 0],
  k_split: splits === 1 ? 9 : 4, splits, operand_layout: 0, epilogue,
});
const EPILOGUE = 1 | 2 | 4;
// Operand layouts: A_T | B_T << 1 | A_ALIGNED << 2 | B_ALIGNED << 3 (matmul_operands.wgsl).
const LAYOUTS = [0, 1, 2, 3, 12, 15];
const layoutOverrides = (l: number) => ({ A_T: (l & 1) !== 0, B_T: (l & 2) !== 0, A_ALIGNED: (l & 4) !== 0, B_ALIGNED: (l & 8) !== 0 });

const attn = { S: 5, H: 2, HD4: 4, D4: 2, scale: 0.35, threshold: 0, drop_scale: 1, seed_lo: 0, seed_hi: 0, has_mask: 1, HD: 16, D: 8 };
const attnFlash = { ...attn, HD4: 3, D4: 1, HD: 12, D: 6 };
const attnDropout = { ...attn, threshold: 858993459, drop_scale: 1.25, seed_lo: 7, seed_hi: 1 };

const CASES: Record<string, RaceCase[]> = {
  // ---- engine shaders
  'unary:main': [{ uniforms: { n4: 10, stride: 8, alpha: 2, beta: 1 }, overrides: { WG: 4, OP: 9 }, workgroups: [2] }],
  'binary:main': [
    { uniforms: { n: 24, stride: 0, a_splat: 0, b_splat: 0, shape: [4, 6], a_strides: [6, 1], b_strides: [0, 1] }, overrides: { WG: 16, OP: 2, RANK: 2 }, workgroups: [2] },
    { uniforms: { n: 30, stride: 0, a_splat: 0, b_splat: 0, shape: [2, 3, 5], a_strides: [5, 0, 1], b_strides: [0, 5, 1] }, overrides: { WG: 16, OP: 0, RANK: 3 }, workgroups: [2] },
  ],
  'binary:main4': [
    // [4, 8] + [8] (a row vector), [4, 8] + [4, 1] (a column: one value per vec4), equal shapes.
    { uniforms: { n: 8, stride: 8, a_splat: 0, b_splat: 0, shape: [4, 8], a_strides: [8, 1], b_strides: [0, 1] }, overrides: { WG: 4, OP: 2, RANK: 2 }, workgroups: [2] },
    { uniforms: { n: 8, stride: 8, a_splat: 0, b_splat: 1, shape: [4, 8], a_strides: [8, 1], b_strides: [1, 0] }, overrides: { WG: 4, OP: 0, RANK: 2 }, workgroups: [2] },
    { uniforms: { n: 6, stride: 4, a_splat: 0, b_splat: 0, shape: [23], a_strides: [1], b_strides: [1] }, overrides: { WG: 4, OP: 1, RANK: 1 }, workgroups: [1] },
  ],
  'binary:accumulate': [{ uniforms: { n: 6, stride: 8, a_splat: 0, b_splat: 0, shape: [], a_strides: [], b_strides: [] }, overrides: { WG: 4 }, workgroups: [2] }],
  'fill:main': [{ uniforms: { n4: 5, stride: 4, bits: 7 }, overrides: { WG: 4 }, workgroups: [1] }],
  'copy:main': [{ uniforms: { n4: 5, stride: 8 }, overrides: { WG: 4 }, workgroups: [2] }],
  'cast:main': [
    { uniforms: { n: 20 }, overrides: { WG: 16, FROM: 0, TO: 3 }, workgroups: [1] },
    { uniforms: { n: 20 }, overrides: { WG: 16, FROM: 3, TO: 1 }, workgroups: [2] },
  ],
  'reduce:rows': [
    { uniforms: { outer: 2, len: 50, inner: 1, chunks: 1, scale: 1 }, overrides: { WG: 16, OP: 0 }, workgroups: [2] },
    { uniforms: { outer: 1, len: 50, inner: 1, chunks: 3, scale: 1 }, overrides: { WG: 8, OP: 1 }, workgroups: [3] },
  ],
  'reduce:columns': [{ uniforms: { outer: 2, len: 5, inner: 9, chunks: 1, scale: 0.2 }, overrides: { WG: 16, OP: 0 }, workgroups: [2] }],
  'permute:main': [{ uniforms: { n: 24, shape: [2, 4, 3], strides: [1, 6, 2] }, overrides: { WG: 16, RANK: 3 }, workgroups: [2] }],

  // ---- matmul: the tiles of MATMUL_TILES (row-major A 2 x 6, transposed A 4 x 4, exchanged
  // operands for a small M), tiled with its dynamic layout, gemv, split-K partials and their reduce.
  'matmul_sg:main': [
    ...LAYOUTS.map((l) => ({
      uniforms: mm(EPILOGUE), overrides: { SG: 8, ACT: 1, ...layoutOverrides(l), ...(l & 1 ? { R: 4, CV: 4 } : { R: 2, CV: 6 }) },
    })),
    { uniforms: { ...mm(1), N: 3 }, overrides: { SG: 8, R: 4, CV: 1, SWAP: true, ...layoutOverrides(1 | 8) } },
    { uniforms: mm(8, 3), overrides: { SG: 8, R: 2, CV: 6, ...layoutOverrides(2) }, workgroups: [1, 1, 3] },
  ],
  'matmul_tiled:main': [
    ...LAYOUTS.map((l) => ({
      uniforms: { ...mm(EPILOGUE), operand_layout: l }, overrides: { DYNAMIC: true, WGX: 2, WGY: 2, TM: 4, TN: 4, BK: 4, ACT: 1 }, workgroups: [2, 2],
    })),
    // The hardware class's 8-row blocks (and 8 columns), over several double-buffered K steps.
    { uniforms: { ...mm(EPILOGUE), operand_layout: 15 }, overrides: { DYNAMIC: true, WGX: 2, WGY: 1, TM: 8, TN: 8, BK: 4 }, workgroups: [1, 2] },
    { uniforms: { ...mm(8, 3), operand_layout: 1 }, overrides: { DYNAMIC: true, WGX: 1, WGY: 2, TM: 8, TN: 4, BK: 4 }, workgroups: [2, 1, 3] },
  ],
  'matmul_gemv:main': [
    { uniforms: { ...mm(EPILOGUE), M: 3 }, overrides: { WG: 4, ACT: 2, ...layoutOverrides(0) } },
    { uniforms: { ...mm(8, 3), M: 3 }, overrides: { WG: 4, ...layoutOverrides(3) }, workgroups: [1, 1, 3] },
  ],
  'matmul_reduce:main': [{ uniforms: mm(EPILOGUE, 3), overrides: { WG: 16, ACT: 1 }, workgroups: [6] }],
  'matmul_sumrows:partial': [{ uniforms: { rows: 7, N: 9, rows_per_chunk: 3, chunks: 3 }, overrides: { WG: 2 }, workgroups: [2, 3] }],
  'matmul_sumrows:finish': [{ uniforms: { rows: 7, N: 9, rows_per_chunk: 3, chunks: 3 }, overrides: { WG: 4 }, workgroups: [3] }],

  // ---- attention: the subgroup kernels with the rows per lane the launcher picks (4 up to D 64,
  // 1 beyond), the portable ones, with and without dropout; the padding mask; dropout.
  ...Object.fromEntries(['forward', 'backward_q', 'backward_kv'].map((entry) => [`attention:${entry}`, [
    { uniforms: attn, overrides: { WG: 8, R: 4, DC: 1 }, workgroups: [1, 2] },
    { uniforms: attnDropout, overrides: { WG: 8, R: 1, DC: 1 }, workgroups: [1, 2] },
  ]])),
  'attention:backward_prep': [{ uniforms: attn, overrides: { WG: 4 }, workgroups: [2, 2] }],
  ...Object.fromEntries(['forward', 'backward_prep', 'backward_q', 'backward_kv'].map((entry) => [`attention_portable:${entry}`, [
    { uniforms: attn, overrides: { WG: 4 }, workgroups: [2, 2] },
    { uniforms: attnDropout, overrides: { WG: 4 }, workgroups: [2, 1] },
  ]])),
  // The flash kernels: two invocations per row (partials summed through workgroup memory) and one,
  // blocks of 2 streamed rows over 5 positions (a partial last block), head dim 6 (not a multiple of 4).
  ...Object.fromEntries(['forward', 'backward_prep', 'backward_q', 'backward_kv'].map((entry) => [`attention_flash:${entry}`, [
    { uniforms: attnFlash, overrides: { WG: 8, T: 2, DS: 3, BLK: 2 }, workgroups: [2, 2] },
    { uniforms: { ...attnFlash, threshold: 858993459, drop_scale: 1.25, seed_lo: 7, seed_hi: 1 }, overrides: { WG: 4, T: 1, DS: 6, BLK: 2 }, workgroups: [2, 1] },
  ]])),
  'attention_mask:main': [
    { uniforms: { n: 10, is_f32: 1, guard_slot: 0 }, overrides: { WG: 4 }, workgroups: [3] },
    // An additive mask and stray integers: every bad word reports to one guard slot.
    { uniforms: { n: 10, is_f32: 0, guard_slot: 2 }, overrides: { WG: 4 }, workgroups: [3], buffers: { padding: new Int32Array([1, 0, 2, -10000, 1, 1, 3, 0, -1, 1]) } },
  ],
  'dropout:main': [{ uniforms: { n: 37, threshold: 858993459, scale: 1.25, seed_lo: 3, seed_hi: 0 }, overrides: { WG: 4 }, workgroups: [3] }],

  // ---- row-wise kernels (rows.wgsl): a GPU's layout, reducing through workgroup memory, and a CPU's
  ...Object.fromEntries(['forward', 'forward_vec4', 'backward_dx', 'backward_dx_vec4'].map((entry) => [`layernorm:${entry}`, rowCases(ln)])),
  'layernorm:backward_params': [{ uniforms: ln, overrides: { WG: 8 }, workgroups: [2] }],
  'layernorm:backward_params_vec4': [{ uniforms: ln, overrides: { WG: 4 } }],
  'layernorm:columns': [{ uniforms: ln, overrides: { WG: 8 } }],
  'softmax:forward': rowCases({ rows: 3, C: 9 }, { CHUNK: 2 }, { CHUNK: 4 }),
  'softmax:backward': rowCases({ rows: 3, C: 9 }),
  'softmax:forward_vec4': rowCases({ rows: 3, C: 8 }, { CHUNK: 1 }, { CHUNK: 1 }),
  'softmax:backward_vec4': rowCases({ rows: 3, C: 8 }),
  ...Object.fromEntries(['forward', 'backward', 'backward_vec4'].map((entry) => [`cross_entropy:${entry}`,
    rowCases(ce, { CHUNK: 1, HAS_WEIGHTS: true }, { CHUNK: 1 }),
  ])),
  'cross_entropy:reduce': [{ uniforms: ce, overrides: { WG: 8 } }],
  'cross_entropy:scale_from_weights': [{ uniforms: ce, overrides: { WG: 8, HAS_WEIGHTS: true } }, { uniforms: ce, overrides: { WG: 4, HAS_DLOSS: true } }],

  // ---- elementwise training kernels and the optimizer
  'gelu:forward': [{ uniforms: { n4: 5, stride: 8 }, overrides: { WG: 4 }, workgroups: [2] }],
  'gelu:backward': [{ uniforms: { n4: 5, stride: 8 }, overrides: { WG: 4, APPROX: true }, workgroups: [2] }],
  'adamw:main': [{ uniforms: adam, overrides: { WG: 4, HAS_SCALE: true }, workgroups: [2] }],
  'norm:sumsq': [{ uniforms: { n: 37, groups: 2, offset: 0, max_norm: 1 }, overrides: { WG: 8 }, workgroups: [2] }],
  'norm:finish': [{ uniforms: { n: 5, groups: 0, offset: 0, max_norm: 1 }, overrides: { WG: 8 } }],
  'norm:clip': [{ uniforms: { n: 0, groups: 0, offset: 0, max_norm: 1 } }],

  // ---- embedding and row gather, forward and the deterministic backward
  ...Object.fromEntries(['gather', 'gather_vec4', 'validate'].map((entry) => [`embedding:${entry}`, [
    { uniforms: emb, overrides: { WG: 4 }, workgroups: [1, 2], buffers: { ids } },
    { uniforms: emb, overrides: { WG: 4 }, workgroups: [1, 2], buffers: { ids: badIds } },
  ]])),
  'embedding:hist': [{ uniforms: emb, overrides: { WG: 4 }, buffers: { ids } }],
  'embedding:scan': [{ uniforms: emb, overrides: { SWG: 4 }, buffers: { counts: sorted.counts } }],
  'embedding:place': [{ uniforms: emb, overrides: { WG: 4 }, buffers: { ids, cursor: sorted.cursor } }],
  ...Object.fromEntries(['accumulate', 'accumulate_vec4'].map((entry) => [`embedding:${entry}`, [
    { uniforms: emb, overrides: { WG: 4 }, workgroups: [1, 2], buffers: { starts: sorted.rowStart, order: sorted.order } },
  ]])),

  // ---- training metrics: argmax over the last axis, counts of correct predictions, running sums
  'metrics:argmax': [
    { uniforms: { rows: 3, V: 9, ignore_index: 0, weight: 0 }, overrides: ROWS, workgroups: [2] },
    { uniforms: { rows: 3, V: 9, ignore_index: 0, weight: 0 }, overrides: ROW_PER_LANE },
  ],
  'metrics:count': [{ uniforms: { rows: 37, V: 0, ignore_index: -100, weight: 0 }, overrides: { WG: 8, HAS_WEIGHTS: true } }],
  'metrics:accumulate': [{ uniforms: { rows: 1, V: 0, ignore_index: 0, weight: 2 } }],
};
// The cross-entropy forward with bad labels: rows report to one guard slot (atomics, no race).
CASES['cross_entropy:forward'].push(...rowCases(ce, { CHUNK: 1 }).map((c) => ({ ...c, buffers: { labels: badLabels } })));

// ---------------------------------------------------------------- running a case

/**
 * The interpreter applies override constants unreliably (workgroup arrays sized by one fail, and
 * helper functions can see the declared default): substitute the launch's values (or the declared
 * defaults) as plain constants, and literal sizes for override-sized arrays. Every override a case
 * names must exist in the shader.
 */
function specialise(code: string, overrides: Record<string, number | boolean>): string {
  const values = new Map<string, string>();
  const out = code
    .replace(/^enable subgroups;$/m, '')   // the interpreter needs no feature, and logs the directive as an error
    .replace(/override\s+(\w+)\s*:\s*(\w+)\s*(?:=\s*([^;]+))?;/g, (_, name: string, type: string, init?: string) => {
      if (!(name in overrides) && init === undefined) throw new Error(`override ${name} has no default: give it in the case`);
      const v = name in overrides ? String(overrides[name]) : init!.trim();
      values.set(name, v);
      return `const ${name}: ${type} = ${type === 'u32' && /^\d+$/.test(v) ? `${v}u` : v};`;
    });
  const unknown = Object.keys(overrides).filter((name) => !values.has(name));
  if (unknown.length) throw new Error(`the shader has no override ${unknown.join(', ')}`);
  return out.replace(/array<(\w+(?:<\w+>)?),\s*([A-Z_]+)>/g, (m, type: string, name: string) => (values.has(name) ? `array<${type}, ${values.get(name)}>` : m));
}

const INTEGER_ELEMENTS = /^(array<)?(atomic<)?[iu]32\b/;   // wgsl_reflect names them like 'array<i32, 0>'

/** Bind group 0: the uniform struct packed from the case; every storage binding 4 KiB. */
function bindGroupFor(shader: string, entry: string, c: RaceCase): Record<string, unknown> {
  const source = loadShader(shader);
  const layout = reflectKernel(source, entry);
  const types = new Map(new WgslReflect(source.code).getBindGroups()[0].filter(Boolean).map((b) => [b.name, b.type.getTypeName()]));
  const unknown = Object.keys(c.buffers ?? {}).filter((name) => !layout.bindings.some((b) => b.name === name));
  if (unknown.length) throw new Error(`${shader}:${entry} has no binding ${unknown.join(', ')}`);
  const group: Record<string, unknown> = {};
  for (const b of layout.bindings) {
    if (b.kind === 'uniform') {
      const data = new ArrayBuffer(layout.uniform!.size);
      packUniforms(shader, layout.uniform!, c.uniforms, new DataView(data), 0);
      group[String(b.binding)] = { uniform: data };
      continue;
    }
    const data = new ArrayBuffer(4096);
    const given = c.buffers?.[b.name];
    if (given) new Uint8Array(data).set(new Uint8Array(given.buffer, given.byteOffset, given.byteLength));
    else if (!INTEGER_ELEMENTS.test(types.get(b.name) ?? '')) new Float32Array(data).fill(0.25);
    group[String(b.binding)] = data;
  }
  return group;
}

/** Runs one case; the interpreter's complaints come back in `logged` instead of the console. */
function run(shader: string, entry: string, c: RaceCase, code = specialise(loadShader(shader).code, c.overrides ?? {})) {
  const logged = new Set<string>();
  const error = console.error;
  console.error = (...args: unknown[]) => { logged.add(args.filter((a) => typeof a === 'string').join(' ')); };
  try {
    return { ...detectRaces(code, entry, c.workgroups ?? [1], { 0: bindGroupFor(shader, entry, c) }), logged: [...logged] };
  } finally {
    console.error = error;
  }
}

// ---------------------------------------------------------------- the shaders

const dir = join(__dirname, '..', 'shaders');
const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl')).sort();
const includes = (f: string) => [...readFileSync(join(dir, f), 'utf8').matchAll(/^\s*\/\/!include\s+([\w.-]+)\.wgsl\s*$/gm)].map((m) => m[1]);
const included = new Set(files.flatMap(includes));
const shaders = files.map((f) => f.slice(0, -5)).filter((name) => !included.has(name));
const entries = shaders.flatMap((name) => new WgslReflect(loadShader(name).code).entry.compute.map((e) => `${name}:${e.name}`));

describe('shaders are free of workgroup data races (wgsl_reflect detectRaces)', () => {
  for (const key of entries) {
    const [shader, entry] = key.split(':');
    const cases = CASES[key] ?? [];
    if (key in NOT_INTERPRETABLE) {
      it(`${key} is not interpretable: ${NOT_INTERPRETABLE[key]}`, () => {
        expect(cases.length, `keep the launch case of ${key}`).toBeGreaterThan(0);
        let errors: string[];
        try {
          errors = run(shader, entry, cases[0]).errors;
        } catch {
          return;
        }
        expect(errors, `${key} now runs in the interpreter: move it out of NOT_INTERPRETABLE`).not.toEqual([]);
      });
      continue;
    }
    it(key, () => {
      expect(cases.length, `add a race-check case for ${key} to test/shaders.test.ts`).toBeGreaterThan(0);
      for (const c of cases) {
        const result = run(shader, entry, c);
        const label = `${key} ${JSON.stringify(c.overrides ?? {})}`;
        expect(result.errors, label).toEqual([]);
        expect(result.races.map((r) => r.message).slice(0, 3), label).toEqual([]);
        const unexplained = result.logged.filter((m) => !INTERPRETER_GAPS.some((g) => g.shaders.includes(shader) && g.message.test(m)));
        expect(unexplained, `${label}: the interpreter could not execute something (see INTERPRETER_GAPS)`).toEqual([]);
      }
    });
  }

  it('CASES and NOT_INTERPRETABLE name only entry points that exist', () => {
    const known = new Set(entries);
    expect(Object.keys(CASES).filter((k) => !known.has(k)), 'stale CASES').toEqual([]);
    expect(Object.keys(NOT_INTERPRETABLE).filter((k) => !known.has(k)), 'stale NOT_INTERPRETABLE').toEqual([]);
  });
});

describe('the detector finds a removed barrier (so this test can fail)', () => {
  const withoutBarrier = (shader: string, c: RaceCase, barrier: RegExp) => {
    const code = specialise(loadShader(shader).code, c.overrides ?? {});
    const out = code.replace(barrier, '');
    expect(out, `${shader}: the barrier to remove was not found`).not.toBe(code);
    return out;
  };

  it('reduce (reduce_wg.wgsl): the barrier after each tree step', () => {
    const c: RaceCase = { uniforms: { outer: 1, len: 16, inner: 1, chunks: 1, scale: 1 }, overrides: { WG: 8, OP: 0 } };
    const code = withoutBarrier('reduce', c, /(?<=if \(lane < s\) \{[^}]*\}\s*)workgroupBarrier\(\);/);
    expect(run('reduce', 'rows', c, code).races.length).toBeGreaterThan(0);
  });

  it('matmul_tiled: the barrier before the next tile is staged', () => {
    const c = CASES['matmul_tiled:main'][0];
    const code = withoutBarrier('matmul_tiled', c, /(?<=compute\(s % 2u, lid, &acc\);\s*)workgroupBarrier\(\);/);
    expect(run('matmul_tiled', 'main', c, code).races.length).toBeGreaterThan(0);
  });

  it('attention_flash: the barrier between the partial dot products and their row sums', () => {
    const c = CASES['attention_flash:forward'][0];
    const code = withoutBarrier('attention_flash', c, /(?<=part_a\[lid \* BLK \+ j\] = partial_dot\(&qr, 0u, j, s\.t\); \}\s*)workgroupBarrier\(\);/);
    expect(run('attention_flash', 'forward', c, code).races.length).toBeGreaterThan(0);
  });

  it('reduce_wg.wgsl (layernorm, four invocations per row): the barrier after the row sum is read', () => {
    const c = CASES['layernorm:forward'][0];
    const code = withoutBarrier('layernorm', c, /(?<=let r = vec2<f32>\(red_a\[lid - lane\], red_b\[lid - lane\]\);\s*(\/\/[^\n]*\n\s*)?)workgroupBarrier\(\);/);
    expect(run('layernorm', 'forward', c, code).races.length).toBeGreaterThan(0);
  });
});
