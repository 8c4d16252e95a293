// Batched matmul with fused epilogue, and sumRows for bias gradients. Shaders: matmul_sg.wgsl,
// matmul_tiled.wgsl and matmul_gemv.wgsl (the variants below), matmul_reduce.wgsl (split-K's second
// pass), all on matmul_operands.wgsl / matmul_common.wgsl (parameters, epilogue); matmul_sumrows.wgsl.
//
//   out = act(a @ b + bias) + residual        a: (...batch, M, K), (..., K, M) if transA
//                                             b: (...batch, K, N), (..., N, K) if transB
// a and b are f32 or f16 (halves unpacked to f32 as they load: products, sums, the epilogue and
// the output are f32); bias and residual are f32.
// Batch dims broadcast (b is often a rank-2 weight). The backward needs no extra kernel:
//   dA = dOut @ B^T   -> matmul(dOut, b, { transB: true })   (b stored (K, N))
//   dB = A^T @ dOut   -> matmul(a, dOut, { transA: true })   (a stored (M, K))
//   dBias = sumRows(dOut)
//
// Variants (chosen from the shape and the adapter, or forced with `variant` / `splitK`):
//   sg     CPU adapters with subgroups (lavapipe): one subgroup per workgroup, SG x R rows by
//          4 CV columns in registers, B shared across lanes with subgroupShuffle. Small M runs
//          it on the exchanged operands (C^T = B^T A^T) so the lanes walk N instead.
//   tiled  hardware GPUs and adapters without subgroups: shared-memory tiles, double buffered, a
//          register block per invocation (tile sizes in MATMUL_TILES per kernel class).
//   gemv   M <= 4 on adapters that use `tiled`: one invocation per 4 output columns.
//   split-K (any of the above): K is cut into `splits` ranges written as partial products, then
//          matmul_reduce sums them in a fixed order (deterministic, no float atomics) and applies
//          the epilogue. Used when the output has too few tiles to keep the adapter busy.
import { OpError, shapeStr } from '../gpu/errors.ts';
import { fixedSubgroupSize, type KernelClass } from '../gpu/kernel-class.ts';
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Engine } from '../gpu/engine.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { FloatDType } from '../gpu/dtype.ts';
import { broadcastShapes, expectDType, grid } from './shape.ts';

export type MatmulActivation = 'gelu' | 'gelu_tanh';
export type MatmulVariant = 'sg' | 'tiled' | 'gemv';

export interface MatmulOptions {
  /** a is stored (..., K, M). */
  transA?: boolean;
  /** b is stored (..., N, K). */
  transB?: boolean;
  /** (N), added to every row. */
  bias?: Tensor;
  /** Applied after the bias: 'gelu' is the exact erf form, 'gelu_tanh' the tanh approximation. */
  activation?: MatmulActivation;
  /** Same shape as the output, added last (after the activation). */
  residual?: Tensor;
  /** Also return pre = a @ b + bias (the activation's input, for the GELU backward). */
  savePreActivation?: boolean;
  /** Forces a kernel variant (tests and benchmarks); 'auto' or absent lets the shape decide. */
  variant?: MatmulVariant | 'auto';
  /** Forces the number of K splits (1 disables split-K); absent lets the shape decide. */
  splitK?: number;
  /** Storage of out and pre (the residual must match): 'f16' rounds the f32 result once as it is written (needs shader-f16). Default 'f32'. */
  outDType?: FloatDType;
}

export interface MatmulWithPre {
  out: Tensor<FloatDType>;
  pre: Tensor<FloatDType>;
}

// ---------------------------------------------------------------- tile table

/** Kernel configuration for one kernel class (src/gpu/kernel-class.ts). */
export interface MatmulTiles {
  /** The main kernel for M > 4. */
  main: 'sg' | 'tiled';
  /** sg: rows per lane R and vec4 columns per subgroup CV (R * CV <= 16), for a row-major A... */
  R: number;
  CV: number;
  /** ...and for a transposed A (rows come 4 to a vec4, so R_T % 4 == 0). */
  R_T: number;
  CV_T: number;
  /** tiled: workgroup WGX x WGY, register block TM x TN (4 or 8 each), K slice BK: tile (TM WGY) x (TN WGX). */
  WGX: number;
  WGY: number;
  TM: number;
  TN: number;
  BK: number;
  /** Split K when the output has fewer tiles than this (and K is long enough). */
  minTiles: number;
}

/**
 * Tile sizes per kernel class. On a CPU adapter every float a lane loads costs ~14 instructions
 * while a vector multiply-add costs 2 (bench/README.md), so the sg kernel wants a big register
 * tile, but its loop must stay inside the core's op cache: measured best on lavapipe, 2 rows x 24
 * columns per lane for a row-major A and 4 x 16 for a transposed one (tile sweep in
 * bench/README.md); 2-16 cores need few tiles. A hardware GPU gets 64 x 64 tiles from 128
 * invocations with 8 x 4 register blocks, double-buffered BK 16 slices (16 KiB of workgroup
 * memory, the default limit), and wants many workgroups; `npm run gpu-check` sweeps the
 * alternatives in MATMUL_TILE_SWEEP on the adapter it runs on (unmeasured on a GPU so far).
 * Portable (CPU adapters without subgroups) takes 8 x 8 blocks: on lavapipe 10.7-11.6 GFLOP/s
 * against 5.0-6.7 for the 4 x 4 blocks it had before (bench/README.md, gpu-check).
 */
export const MATMUL_TILES = {
  software: { main: 'sg', R: 2, CV: 6, R_T: 4, CV_T: 4, WGX: 8, WGY: 8, TM: 4, TN: 4, BK: 16, minTiles: 16 },
  portable: { main: 'tiled', R: 2, CV: 6, R_T: 4, CV_T: 4, WGX: 8, WGY: 8, TM: 8, TN: 8, BK: 16, minTiles: 16 },
  hardware: { main: 'tiled', R: 2, CV: 6, R_T: 4, CV_T: 4, WGX: 16, WGY: 8, TM: 8, TN: 4, BK: 16, minTiles: 256 },
} as const satisfies Record<KernelClass, MatmulTiles>;

/** The tiled shapes gpu-check times on a hardware adapter, MATMUL_TILES.hardware among them (each fits 16 KiB double-buffered). */
export const MATMUL_TILE_SWEEP: Pick<MatmulTiles, 'WGX' | 'WGY' | 'TM' | 'TN' | 'BK'>[] = [
  { WGX: 16, WGY: 16, TM: 4, TN: 4, BK: 16 },
  { WGX: 16, WGY: 8, TM: 8, TN: 4, BK: 16 },
  { WGX: 8, WGY: 8, TM: 8, TN: 8, BK: 16 },
  { WGX: 8, WGY: 16, TM: 8, TN: 8, BK: 8 },
  { WGX: 16, WGY: 16, TM: 8, TN: 4, BK: 8 },
];

/** The tiled kernel's shared-memory budget: two buffers of BK x BM (BK x BN) floats each <= STAGE vec4. */
const TILED_STAGE_VEC4 = 512;

export interface AdapterConfig {
  tiles: MatmulTiles;
  /** The adapter's fixed subgroup size when the sg kernel can run, else 0. */
  subgroup: number;
}

/** The tile configuration this engine's kernel class uses (see MATMUL_TILES), or withMatmulTiles' while it runs. */
export function matmulConfig(e: Engine = engine()): AdapterConfig {
  return { tiles: tileOverride ?? MATMUL_TILES[e.kernels], subgroup: fixedSubgroupSize(e.traits) };
}

let tileOverride: MatmulTiles | null = null;

/** Runs fn with other tiled-kernel tiles (benchmarks sweep them); checks they fit the kernel. */
export function withMatmulTiles<T>(tiles: Partial<MatmulTiles>, fn: () => T): T {
  const t = { ...MATMUL_TILES[engine().kernels], ...tiles };
  const fits = [t.TM, t.TN].every((x) => x === 4 || x === 8) && t.BK % 4 === 0
    && 2 * t.BK * t.TM * t.WGY / 4 <= TILED_STAGE_VEC4 && 2 * t.BK * t.TN * t.WGX / 4 <= TILED_STAGE_VEC4;
  if (!fits) throw new OpError('matmul', `tiles ${JSON.stringify(tiles)} do not fit matmul_tiled (TM, TN in {4, 8}, BK % 4 == 0, 2 BK TM WGY / 4 <= ${TILED_STAGE_VEC4} and 2 BK TN WGX / 4 <= ${TILED_STAGE_VEC4})`);
  const saved = tileOverride;
  tileOverride = t;
  try {
    return fn();
  } finally {
    tileOverride = saved;
  }
}

// ---------------------------------------------------------------- kernels

const sgKernel = new Kernel({ shader: 'matmul_sg' });
const tiledKernel = new Kernel({ shader: 'matmul_tiled' });
const gemvKernel = new Kernel({ shader: 'matmul_gemv' });
const reduceKernel = new Kernel({ shader: 'matmul_reduce' });
const sumPartialKernel = new Kernel({ shader: 'matmul_sumrows', entry: 'partial' });
const sumFinishKernel = new Kernel({ shader: 'matmul_sumrows', entry: 'finish' });

const MAX_BATCH_DIMS = 4;
const ACT = { none: 0, gelu: 1, gelu_tanh: 2 } as const;
// p.epilogue flags (shaders/matmul_common.wgsl).
const EPI = { bias: 1, residual: 2, pre: 4, split: 8 } as const;

interface Problem {
  M: number;
  N: number;
  K: number;
  batches: number;
  bdims: number[];
  aStride: number[];
  bStride: number[];
  outShape: number[];
}

/** Batch dims after broadcasting, with adjacent dims merged where both operands allow it. */
function batchLayout(op: string, a: Tensor, b: Tensor, aMat: number, bMat: number) {
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const out = broadcastShapes(op, aBatch, bBatch);
  const strides = (batch: readonly number[], mat: number) => {
    const own: number[] = [];
    let acc = mat;
    for (let i = batch.length - 1; i >= 0; i--) {
      own[i] = acc;
      acc *= batch[i];
    }
    return out.map((d, i) => {
      const j = batch.length - out.length + i;
      return j < 0 || batch[j] === 1 ? 0 : own[j];
    });
  };
  const as = strides(aBatch, aMat);
  const bs = strides(bBatch, bMat);
  // Merge dim i into dim i+1 when each operand's stride continues contiguously (or both are 0).
  const dims: number[] = [];
  const ad: number[] = [];
  const bd: number[] = [];
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 1) continue;
    const last = dims.length - 1;
    const mergeable = last >= 0
      && ad[last] === as[i] * out[i] && bd[last] === bs[i] * out[i];
    if (mergeable) {
      dims[last] *= out[i];
      ad[last] = as[i];
      bd[last] = bs[i];
    } else {
      dims.push(out[i]);
      ad.push(as[i]);
      bd.push(bs[i]);
    }
  }
  return { out, dims, ad, bd };
}

function problem(op: string, a: Tensor, b: Tensor, o: MatmulOptions): Problem {
  expectDType(op, a, 'f32', 'f16');
  expectDType(op, b, 'f32', 'f16');
  if (a.rank < 2 || b.rank < 2) {
    throw new OpError(op, `needs a and b of rank >= 2, got a ${shapeStr(a.shape)} and b ${shapeStr(b.shape)}`);
  }
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const M = o.transA ? ac : ar;
  const Ka = o.transA ? ar : ac;
  const Kb = o.transB ? bc : br;
  const N = o.transB ? br : bc;
  if (Ka !== Kb) {
    const la = o.transA ? 'a (transposed)' : 'a';
    const lb = o.transB ? 'b (transposed)' : 'b';
    throw new OpError(op, `inner dimensions differ: ${la} ${shapeStr(a.shape)} has K = ${Ka}, ${lb} ${shapeStr(b.shape)} has K = ${Kb}`);
  }
  const { out, dims, ad, bd } = batchLayout(op, a, b, M * Ka, Ka * N);
  if (dims.length > MAX_BATCH_DIMS) {
    throw new OpError(op, `batch dims ${shapeStr(out)} of a ${shapeStr(a.shape)} and b ${shapeStr(b.shape)} need more than ${MAX_BATCH_DIMS} strided dims`);
  }
  const batches = dims.reduce((x, y) => x * y, 1);
  let p: Problem = { M, N, K: Ka, batches, bdims: dims, aStride: ad, bStride: bd, outShape: [...out, M, N] };
  // A rank-2 b shared by every batch of a row-major a: fold the batch into M (one big product).
  if (batches > 1 && !o.transA && bd.every((s) => s === 0) && dims.length === 1 && ad[0] === M * Ka) {
    p = { ...p, M: M * batches, batches: 1, bdims: [], aStride: [], bStride: [] };
  }
  return p;
}

function checkEpilogue(op: string, p: Problem, o: MatmulOptions): void {
  if (o.bias) {
    expectDType(op, o.bias, 'f32');
    if (o.bias.rank !== 1 || o.bias.shape[0] !== p.N) {
      throw new OpError(op, `bias ${shapeStr(o.bias.shape)} must have shape [${p.N}] (N of the output ${shapeStr(p.outShape)})`);
    }
  }
  if (o.outDType !== undefined && o.outDType !== 'f32' && o.outDType !== 'f16') {
    throw new OpError(op, `outDType must be 'f32' or 'f16', got ${JSON.stringify(o.outDType)}`);
  }
  if (o.residual) {
    expectDType(op, o.residual, o.outDType ?? 'f32');
    if (shapeStr(o.residual.shape) !== shapeStr(p.outShape)) {
      throw new OpError(op, `residual ${shapeStr(o.residual.shape)} must have the output's shape ${shapeStr(p.outShape)}`);
    }
  }
  if (o.activation !== undefined && !(o.activation in ACT)) {
    throw new OpError(op, `unknown activation '${o.activation}' (expected 'gelu' or 'gelu_tanh')`);
  }
  if (o.savePreActivation && !o.activation) {
    throw new OpError(op, 'savePreActivation needs an activation (without one, pre would equal out)');
  }
  if (o.splitK !== undefined && !(Number.isInteger(o.splitK) && o.splitK >= 1)) {
    throw new OpError(op, `splitK must be a positive integer, got ${o.splitK}`);
  }
}

const pad4 = (xs: number[], fill: number) => [...Array(MAX_BATCH_DIMS - xs.length).fill(fill), ...xs];

interface Plan {
  kernel: Kernel;
  overrides: Record<string, number | boolean>;
  workgroups: [number, number, number];
  /** The kernel's operands (exchanged when swap). */
  a: Tensor;
  b: Tensor;
  M: number;
  N: number;
  aStride: number[];
  bStride: number[];
  kStep: number;
  splits: number;
  kSplit: number;
  layout: number;
}

function plan(e: Engine, a: Tensor, b: Tensor, p: Problem, o: MatmulOptions): Plan {
  const { tiles, subgroup } = matmulConfig(e);
  let variant: MatmulVariant;
  if (o.variant && o.variant !== 'auto') {
    variant = o.variant;
    if (variant === 'sg' && !subgroup) {
      throw new OpError('matmul', `variant 'sg' needs an adapter with a fixed subgroup size of 4, 8 or 16 (this one: ${e.adapter})`);
    }
  } else {
    variant = p.M <= 4 && tiles.main === 'tiled' ? 'gemv' : tiles.main;
  }
  const transA = !!o.transA;
  const transB = !!o.transB;
  // Alignment of each operand's contiguous dim: vec4 reads need a multiple of 4.
  const aContig = transA ? p.M : p.K;
  const bContig = transB ? p.K : p.N;
  let kernel: Kernel;
  let overrides: Record<string, number | boolean>;
  let tilesM: number;
  let tilesN: number;
  let kStep: number;
  let x = { a, b, M: p.M, N: p.N, aStride: p.aStride, bStride: p.bStride };
  if (variant === 'sg') {
    // Small M: run on C^T = B^T A^T so the lanes walk N (M is at most 4 uniform columns).
    const swap = p.M <= 4 && p.N > 4;
    // The kernel's A is b when swapped: it is stored transposed when b is row-major.
    const kernelAT = swap ? !transB : transA;
    const CV = swap ? 1 : kernelAT ? tiles.CV_T : tiles.CV;
    const R = kernelAT ? tiles.R_T : tiles.R;
    overrides = swap
      ? { SWAP: true, A_T: !transB, B_T: !transA, A_ALIGNED: bContig % 4 === 0, B_ALIGNED: aContig % 4 === 0 }
      : { A_T: transA, B_T: transB, A_ALIGNED: aContig % 4 === 0, B_ALIGNED: bContig % 4 === 0 };
    if (swap) x = { a: b, b: a, M: p.N, N: p.M, aStride: p.bStride, bStride: p.aStride };
    if (R * CV > 16 || Math.ceil((4 * CV) / subgroup) > 8 || (kernelAT && R % 4 !== 0)) {
      throw new OpError('matmul', `sg tile R ${R} x CV ${CV} does not fit the kernel (R * CV <= 16, 4 CV / SG <= 8, R % 4 == 0 for a transposed A)`);
    }
    Object.assign(overrides, { SG: subgroup, R, CV });
    kernel = sgKernel;
    tilesM = Math.ceil(x.M / (subgroup * R));
    tilesN = Math.ceil(x.N / (4 * CV));
    kStep = 4;
  } else if (variant === 'tiled') {
    overrides = { DYNAMIC: true, WGX: tiles.WGX, WGY: tiles.WGY, TM: tiles.TM, TN: tiles.TN, BK: tiles.BK };
    kernel = tiledKernel;
    tilesM = Math.ceil(p.M / (tiles.TM * tiles.WGY));
    tilesN = Math.ceil(p.N / (tiles.TN * tiles.WGX));
    kStep = tiles.BK;
  } else {
    if (p.M > 4) throw new OpError('matmul', `variant 'gemv' handles M <= 4, got M = ${p.M}`);
    const WG = 64;
    overrides = { A_T: transA, B_T: transB, A_ALIGNED: aContig % 4 === 0, B_ALIGNED: bContig % 4 === 0, WG };
    kernel = gemvKernel;
    tilesM = 1;
    tilesN = Math.ceil(p.N / (4 * WG));
    kStep = 4;
  }
  // Operands stored in f16 are unpacked to f32 on load (matmul_operands.wgsl).
  Object.assign(overrides, { A_F16: x.a.dtype === 'f16', B_F16: x.b.dtype === 'f16' });
  const tileCount = tilesM * tilesN * p.batches;
  let splits = o.splitK ?? 1;
  if (o.splitK === undefined && tileCount < tiles.minTiles && p.K >= 1024) {
    splits = Math.min(32, Math.ceil((2 * tiles.minTiles) / tileCount), Math.floor(p.K / 256));
  }
  let kSplit = Math.ceil(Math.ceil(p.K / splits) / kStep) * kStep;
  splits = Math.max(1, Math.ceil(p.K / Math.max(kSplit, 1)));
  if (p.K === 0) kSplit = 0;
  // tiled reads the layout from the uniform (one pipeline for every layout: only its staging loads
  // depend on it); sg and gemv have it compiled in (their inner loops do).
  const layout = overrides.DYNAMIC
    ? Number(transA) | (Number(transB) << 1) | (Number(aContig % 4 === 0) << 2) | (Number(bContig % 4 === 0) << 3)
    : 0;
  return {
    kernel, overrides, workgroups: [tilesN, tilesM, p.batches * splits],
    ...x, kStep, splits, kSplit, layout,
  };
}

/**
 * out = act(a @ b + bias) + residual. Returns `{ out, pre }` when `savePreActivation` is set
 * (pre = a @ b + bias, the activation's input), else the output tensor.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions & { savePreActivation: true }): MatmulWithPre;
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions & { outDType: 'f16' }): Tensor<'f16'>;
export function matmul(a: Tensor, b: Tensor, options?: MatmulOptions & { outDType?: 'f32' }): Tensor<FloatDType>;
export function matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor<FloatDType>;
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor<FloatDType> | MatmulWithPre {
  const op = 'matmul';
  const p = problem(op, a, b, options);
  checkEpilogue(op, p, options);
  const e = engine();
  const dtype = options.outDType ?? 'f32';
  const out = e.empty(p.outShape, dtype);
  const pre = options.savePreActivation ? e.empty(p.outShape, dtype) : null;
  if (out.size > 0) {
    const pl = plan(e, a, b, p, options);
    const act = { ACT: ACT[options.activation ?? 'none'] };
    const epilogue = (options.bias ? EPI.bias : 0) | (options.residual ? EPI.residual : 0) | (pre ? EPI.pre : 0);
    const uniforms = {
      M: pl.M, N: pl.N, K: p.K, batches: p.batches,
      bdims: pad4(p.bdims, 1), a_bstride: pad4(pl.aStride, 0), b_bstride: pad4(pl.bStride, 0),
      k_split: pl.kSplit, splits: pl.splits, operand_layout: pl.layout, epilogue,
    };
    const scratch = pre ?? e.empty([1], 'f32');
    const dummies = { bias: options.bias ?? a, residual: options.residual ?? a };
    if (pl.splits === 1) {
      e.run(pl.kernel.as(dtype), {
        bindings: { out, pre: scratch, ...dummies, a: pl.a, b: pl.b },
        uniforms,
        overrides: { ...pl.overrides, ...act },
        workgroups: pl.workgroups,
      });
    } else {
      const partial = e.empty([pl.splits, p.batches * p.M * p.N], 'f32');
      e.run(pl.kernel, {
        bindings: { out: partial, pre: scratch, bias: a, residual: a, a: pl.a, b: pl.b },
        uniforms: { ...uniforms, epilogue: EPI.split },
        overrides: { ...pl.overrides, ACT: 0 },
        workgroups: pl.workgroups,
      });
      const WG = 256;
      e.run(reduceKernel.as(dtype), {
        bindings: { out, pre: scratch, ...dummies, partial },
        uniforms: { ...uniforms, M: p.M, N: p.N },
        overrides: { ...act, WG },
        workgroups: [...grid(out.size, WG), 1],
      });
      partial.dispose();
    }
    if (!pre) scratch.dispose();
  }
  return pre ? { out, pre } : out;
}

/** Sums over every axis but the last: (..., N) -> (N), f32 whatever dy's float type. The bias gradient; deterministic. */
export function sumRows(dy: Tensor): Tensor<FloatDType> {
  const op = 'sumRows';
  expectDType(op, dy, 'f32', 'f16');
  if (dy.rank < 1) throw new OpError(op, `needs a tensor of rank >= 1, got shape ${shapeStr(dy.shape)}`);
  const N = dy.shape[dy.rank - 1];
  const rows = N === 0 ? 0 : dy.size / N;
  const e = engine();
  const y = e.empty([N], 'f32');
  if (N === 0) return y;
  const WG = 64;
  const groups = Math.ceil(N / (4 * WG));
  // Enough (column group, chunk) workgroups to keep every core busy; chunks of >= 64 rows.
  const chunks = Math.max(1, Math.min(Math.ceil(rows / 64), Math.ceil(64 / groups), 1024));
  const rowsPerChunk = Math.max(1, Math.ceil(rows / chunks));
  const used = Math.max(1, Math.ceil(rows / rowsPerChunk));
  const uniforms = { rows, N, rows_per_chunk: rowsPerChunk, chunks: used };
  if (used === 1) {
    e.run(sumPartialKernel.as(dy.dtype), { bindings: { x: dy, y }, uniforms, overrides: { WG }, workgroups: [groups, 1, 1] });
    return y;
  }
  const partial = e.empty([used, N], 'f32');
  e.run(sumPartialKernel.as(dy.dtype), { bindings: { x: dy, y: partial }, uniforms, overrides: { WG }, workgroups: [groups, used, 1] });
  e.run(sumFinishKernel, { bindings: { chunk_sums: partial, y }, uniforms, overrides: { WG }, workgroups: [...grid(N, WG), 1] });
  partial.dispose();
  return y;
}
