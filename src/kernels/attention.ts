// Fused softmax attention, forward and backward: one kernel for softmax(q k^T * scale + mask) v per
// head with online softmax, never storing the (B, H, S, S) scores; the backward recomputes them
// flash-attention-2 style from q, k, v, out, lse and dOut. Three variants, one per kernel class
// (src/gpu/kernel-class.ts): attention.wgsl for CPU adapters with subgroups (lanes exchange rows
// by subgroup broadcasts; the kernels themselves are in attention_kernels.wgsl),
// attention_flash.wgsl for GPUs (blocks of keys streamed through workgroup memory),
// attention_portable.wgsl for the rest; attention_params.wgsl and attention_common.wgsl hold what
// they share, attention_mask.wgsl turns a padding mask into an additive one. Attention-probs dropout draws its mask from
// Philox (philox.wgsl) keyed by the seed and (b, h, i, j), so the backward regenerates it. Every
// launch is deterministic.
import type { FloatDType } from '../gpu/dtype.ts';
import type { Engine } from '../gpu/engine.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { dropoutParams } from './dropout.ts';
import { expectDType, expectFloat, grid } from './shape.ts';

export interface AttentionOptions {
  /** Number of heads H; the hidden size H * D must divide by it (see fusedHeadDim for D). */
  heads: number;
  /** (B, S) f32 additive key mask: 0 keeps a key, -Infinity (or anything <= -1e30) masks it. */
  mask?: Tensor;
  /** Softmax scale; 1 / sqrt(D) when omitted. */
  scale?: number;
  /** Attention-probs dropout: each probability is kept with 1 - rate and scaled by 1 / (1 - rate). */
  dropout?: { rate: number; seed: number };
}

export interface AttentionResult {
  /** (B, S, H * D) */
  out: Tensor<FloatDType>;
  /** (B, H, S) log-sum-exp of each query row's (undropped) scores, f32; -Infinity where every key is masked. */
  lse: Tensor<'f32'>;
}

export interface AttentionGrads {
  dq: Tensor<FloatDType>;
  dk: Tensor<FloatDType>;
  dv: Tensor<FloatDType>;
}

/**
 * Kernel selection, exposed for tests and benchmarks. `variant`: 'subgroup' exchanges a block's
 * keys between lanes with subgroup broadcasts (needs subgroups of >= 8 invocations), 'flash'
 * streams blocks of keys through workgroup memory, 'portable' has each invocation read every key
 * itself; 'auto' takes the engine's kernel class's (software: subgroup where the adapter allows
 * it, hardware: flash, portable: portable).
 * `rowsPerLane` (1, 2 or 4, for all passes or per pass; 0 = chosen from the head dim) is how many
 * query (or key) rows one invocation owns.
 */
export const attentionTuning = {
  variant: 'auto' as 'auto' | AttentionVariant,
  rowsPerLane: 0 as number | Partial<Record<'forward' | 'q' | 'kv', number>>,
};

const kernels = {
  subgroup: {
    forward: new Kernel({ shader: 'attention', entry: 'forward' }),
    prep: new Kernel({ shader: 'attention', entry: 'backward_prep' }),
    q: new Kernel({ shader: 'attention', entry: 'backward_q' }),
    kv: new Kernel({ shader: 'attention', entry: 'backward_kv' }),
  },
  flash: {
    forward: new Kernel({ shader: 'attention_flash', entry: 'forward' }),
    prep: new Kernel({ shader: 'attention_flash', entry: 'backward_prep' }),
    q: new Kernel({ shader: 'attention_flash', entry: 'backward_q' }),
    kv: new Kernel({ shader: 'attention_flash', entry: 'backward_kv' }),
  },
  portable: {
    forward: new Kernel({ shader: 'attention_portable', entry: 'forward' }),
    prep: new Kernel({ shader: 'attention_portable', entry: 'backward_prep' }),
    q: new Kernel({ shader: 'attention_portable', entry: 'backward_q' }),
    kv: new Kernel({ shader: 'attention_portable', entry: 'backward_kv' }),
  },
};
const maskKernel = new Kernel({ shader: 'attention_mask' });

// Lanes per workgroup: 4 subgroups of lavapipe's 8 (subgroup variant); a workgroup covers WG * R
// rows of one head. The portable variant owns one row per invocation.
const WG_SUBGROUP = 32;
const WG_PORTABLE = 64;
const MAX_HEAD_DIM = 128;
// The flash variant: WG_FLASH invocations, T per owned row holding DS <= 32 dims each; the streamed
// block of BLK rows fits 2048 staged floats forward and 1024 per operand backward, and WG * BLK
// partial products fit 1024 (shaders/attention_flash.wgsl). D up to 512.
const WG_FLASH = 64;
const MAX_FLASH_HEAD_DIM = 512;

export type AttentionVariant = 'subgroup' | 'flash' | 'portable';

/** Threads per row, dims per thread and block rows of the flash kernels for head dim D. */
export function flashGeometry(D: number): { T: number; DS: number; blockForward: number; blockBackward: number } {
  let T = 1;
  while (Math.ceil(D / T) > 32) T *= 2;
  const DS = Math.ceil(D / T);
  const DP = T * DS;
  const cap = 1024 / WG_FLASH;
  return { T, DS, blockForward: Math.min(cap, Math.floor(2048 / DP)), blockBackward: Math.min(cap, Math.floor(1024 / DP)) };
}

interface Geometry {
  B: number;
  S: number;
  H: number;
  D: number;
  scale: number;
  /** q, k, v, out and their gradients: f32 or f16 (scores, softmax and sums are f32 either way). */
  dtype: FloatDType;
}

/** The variant attention runs on this engine (attentionTuning.variant, else its kernel class's). */
export function attentionVariant(e: Engine = engine()): AttentionVariant {
  if (attentionTuning.variant !== 'auto') return attentionTuning.variant;
  if (e.kernels === 'hardware') return 'flash';
  if (e.kernels === 'portable') return 'portable';
  return e.traits.hasSubgroups && e.traits.subgroupMinSize >= 8 ? 'subgroup' : 'portable';
}

type Pass = 'forward' | 'q' | 'kv';

// Rows per lane R: each lane keeps R rows (and their accumulators) and reuses every key it
// receives R times, so a larger R means fewer loads and exchanges per FMA. But the kernels are
// unrolled over rows and 16-dim chunks: private memory per lane and lavapipe's compile time grow
// with R * ceil(D / 16). Measured on lavapipe: at D 64, R = 4 runs forward+backward (B 4, S 128,
// H 12) in 91 ms against 133 ms for R = 2 and compiles its three pipelines in ~40 s of CPU
// against ~25 s (once per machine: Mesa caches compiled shaders on disk); at D 128, R = 2 takes
// 128 ms against 194 ms for R = 1 but ~60 s to compile against ~35 s, so D > 64 keeps R = 1.
// attentionTuning.rowsPerLane overrides the choice.
function rowsPerLane(D: number, pass: Pass): number {
  const t = attentionTuning.rowsPerLane;
  const chosen = typeof t === 'number' ? t : t[pass];
  if (chosen) return chosen;
  return Math.ceil(D / 16) <= 4 ? 4 : 1;
}

function geometry(op: string, q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Geometry {
  const dtype = expectFloat(op, { q, k, v });
  for (const [name, t] of [['q', q], ['k', k], ['v', v]] as const) {
    if (t.rank !== 3) throw new OpError(op, `${name} must be (batch, seq, hidden), got ${shapeStr(t.shape)}`);
  }
  if (!sameShape(q.shape, k.shape) || !sameShape(q.shape, v.shape)) {
    throw new OpError(op, `q, k and v must have the same shape (batch, seq, hidden), got ${shapeStr(q.shape)}, ${shapeStr(k.shape)} and ${shapeStr(v.shape)}`);
  }
  const [B, S, hidden] = q.shape;
  const H = opts.heads;
  if (!Number.isInteger(H) || H < 1) throw new OpError(op, `heads must be a positive integer, got ${H}`);
  if (hidden % H !== 0) throw new OpError(op, `hidden size ${hidden} of ${shapeStr(q.shape)} is not divisible by ${H} heads`);
  const D = hidden / H;
  if (!fusedHeadDim(D)) {
    const variant = attentionVariant();
    const want = variant === 'flash' ? `at most ${MAX_FLASH_HEAD_DIM}` : `a multiple of 4 and at most ${MAX_HEAD_DIM}`;
    throw new OpError(op, `head dim ${D} (hidden ${hidden} / ${H} heads) must be ${want} for the fused ${variant} kernels (autograd's attention() takes any head dim)`);
  }
  if (opts.mask) {
    expectDType(op, opts.mask, 'f32');
    if (!sameShape(opts.mask.shape, [B, S])) {
      throw new OpError(op, `mask must be (batch, seq) = ${shapeStr([B, S])} additive f32, got ${shapeStr(opts.mask.shape)}`);
    }
  }
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  if (!Number.isFinite(scale)) throw new OpError(op, `scale must be a finite number, got ${scale}`);
  return { B, S, H, D, scale, dtype };
}

/** Whether this engine's fused kernels take this head dim; autograd's attention() composes the others. */
export function fusedHeadDim(D: number, e: Engine = engine()): boolean {
  if (!Number.isInteger(D) || D < 1) return false;
  if (attentionVariant(e) === 'flash') return D <= MAX_FLASH_HEAD_DIM;
  return D % 4 === 0 && D <= MAX_HEAD_DIM;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function launchConfig(op: string, g: Geometry, opts: AttentionOptions, variant: AttentionVariant) {
  const drop = opts.dropout ? dropoutParams(op, opts.dropout.rate, opts.dropout.seed) : null;
  const uniforms = {
    S: g.S,
    H: g.H,
    HD4: Math.floor((g.H * g.D) / 4),
    D4: Math.floor(g.D / 4),
    scale: g.scale,
    threshold: drop?.threshold ?? 0,
    drop_scale: drop?.scale ?? 1,
    seed_lo: drop?.seedLo ?? 0,
    seed_hi: drop?.seedHi ?? 0,
    has_mask: opts.mask ? 1 : 0,
    HD: g.H * g.D,
    D: g.D,
  };
  // One pipeline per (16-dim chunks per head row, rows per lane), or per flash geometry; the rest
  // are uniforms.
  return (pass: Pass): { uniforms: typeof uniforms; overrides: Record<string, number>; workgroups: [number, number] } => {
    if (variant === 'flash') {
      const f = flashGeometry(g.D);
      const BLK = pass === 'forward' ? f.blockForward : f.blockBackward;
      return { uniforms, overrides: { WG: WG_FLASH, T: f.T, DS: f.DS, BLK }, workgroups: [Math.ceil(g.S / (WG_FLASH / f.T)), g.B * g.H] };
    }
    const R = variant === 'subgroup' ? rowsPerLane(g.D, pass) : 1;
    const WG = variant === 'subgroup' ? WG_SUBGROUP : WG_PORTABLE;
    return { uniforms, overrides: { DC: Math.ceil(g.D / 16), R, WG }, workgroups: [Math.ceil(g.S / (WG * R)), g.B * g.H] };
  };
}

/**
 * softmax(q k^T * scale + mask) v for every head, q, k, v: (B, S, H * D) with head h in columns
 * [h D, (h + 1) D). Returns out (B, S, H * D) and the per-row log-sum-exp (B, H, S) for the backward.
 * Rows whose keys are all masked give out = 0 and lse = -Infinity.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): AttentionResult {
  const g = geometry('attention', q, k, v, opts);
  const e = engine();
  const out = e.empty(q.shape, g.dtype);
  const lse = e.empty([g.B, g.H, g.S], 'f32');
  if (out.size === 0) return { out, lse };
  const variant = attentionVariant(e);
  const cfg = launchConfig('attention', g, opts, variant);
  e.run(kernels[variant].forward.as(g.dtype), {
    bindings: { q, k, v, mask: opts.mask ?? q, o: out, lse },
    ...cfg('forward'),
  });
  return { out, lse };
}

/**
 * Gradients of attention() from its inputs, its out and lse, and dOut (B, S, H * D), with the same
 * options (the dropout mask is regenerated from the seed). Recomputes the scores block by block:
 * memory stays O(S) per row. Bit-identical from run to run.
 */
export function attentionBackward(q: Tensor, k: Tensor, v: Tensor, out: Tensor, dOut: Tensor, lse: Tensor, opts: AttentionOptions): AttentionGrads {
  const op = 'attentionBackward';
  const g = geometry(op, q, k, v, opts);
  expectFloat(op, { q, out, dOut });
  for (const [name, t] of [['out', out], ['dOut', dOut]] as const) {
    if (!sameShape(t.shape, q.shape)) throw new OpError(op, `${name} must have q's shape ${shapeStr(q.shape)}, got ${shapeStr(t.shape)}`);
  }
  expectDType(op, lse, 'f32');
  if (!sameShape(lse.shape, [g.B, g.H, g.S])) {
    throw new OpError(op, `lse must be (batch, heads, seq) = ${shapeStr([g.B, g.H, g.S])}, got ${shapeStr(lse.shape)}`);
  }
  const e = engine();
  const dq = e.empty(q.shape, g.dtype);
  const dk = e.empty(q.shape, g.dtype);
  const dv = e.empty(q.shape, g.dtype);
  if (dq.size === 0) return { dq, dk, dv };
  const variant = attentionVariant(e);
  const set = kernels[variant];
  const cfg = launchConfig(op, g, opts, variant);
  const mask = opts.mask ?? q;
  // (lse, delta = rowsum(dOut * out)) per query row, read by both passes.
  const stats = e.empty([g.B, g.H, g.S, 2], 'f32');
  e.run(set.prep.as(g.dtype), {
    bindings: { o: out, lse, dout: dOut, stats },
    uniforms: cfg('q').uniforms,
    overrides: { WG: 64 },
    workgroups: [Math.ceil(g.S / 64), g.B * g.H],
  });
  e.run(set.q.as(g.dtype), { bindings: { q, k, v, mask, dout: dOut, stats, dq }, ...cfg('q') });
  e.run(set.kv.as(g.dtype), { bindings: { q, k, v, mask, dout: dOut, stats, dk, dv }, ...cfg('kv') });
  stats.dispose();
  return { dq, dk, dv };
}

/**
 * BERT's padding mask (B, S) (1 = real token, 0 = padding; i32, u32 or f32) to attention's additive
 * mask. Any other value fails the next download with an error naming it (an additive 0 / -10000
 * mask is the usual mistake).
 */
export function paddingMaskToAdditive(paddingMask: Tensor, input = 'attentionMask'): Tensor<FloatDType> {
  const op = 'paddingMaskToAdditive';
  expectDType(op, paddingMask, 'i32', 'u32', 'f32');
  if (paddingMask.rank !== 2) throw new OpError(op, `expected a (batch, seq) mask, got ${shapeStr(paddingMask.shape)}`);
  const e = engine();
  const additive = e.empty(paddingMask.shape, 'f32');
  if (additive.size === 0) return additive;
  const isF32 = paddingMask.dtype === 'f32';
  const { guard, slot } = e.guardSlot({
    op, input, shape: paddingMask.shape, values: isF32 ? 'f32' : 'i32',
    expected: '1 for a real token and 0 for padding (transformers\' attention_mask)',
    hint: (v) => (v < 0 ? 'This looks like an additive mask (0 / -10000 or -Infinity); pass the 0/1 mask it was made from.' : undefined),
  });
  e.run(maskKernel, {
    bindings: { padding: paddingMask, additive, guard },
    uniforms: { n: additive.size, is_f32: isF32 ? 1 : 0, guard_slot: slot },
    overrides: { WG: 256 },
    workgroups: grid(additive.size, 256),
  });
  return additive;
}
