// Differentiable multi-head attention. Head dims the fused kernels take (src/kernels/attention.ts:
// multiples of 4 up to 128) run fused: the forward saves the per-row log-sum-exp, the backward
// recomputes the probabilities from it (and regenerates the dropout mask from its seed), so no
// (S x S) matrix is ever stored. Any other head dim (TinyBERT's 26, 256) runs composed from
// matmul, softmax and dropout, whose own backward rules give the gradients: the same function,
// with (B, H, S, S) scores in memory and a dropout mask drawn by the dropout kernel instead.
import type { FloatDType } from '../gpu/dtype.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { attention as attentionRaw, attentionBackward, fusedHeadDim } from '../kernels/attention.ts';
import { tidy } from '../gpu/runtime.ts';
import * as ew from '../kernels/elementwise.ts';
import { reduce } from '../kernels/reduce.ts';
import { dropout } from './dropout.ts';
import { add, mul, positiveMask, scale } from './elementwise.ts';
import { matmul } from './matmul.ts';
import { softmax } from './activation.ts';
import { permute, reshape } from './shape.ts';
import { castTo } from './cast.ts';
import { record, recording } from './tape.ts';

export interface AttentionOptions {
  heads: number;
  /** (B, S) f32 additive key mask: 0 keeps a key, -Infinity masks it (see paddingMaskToAdditive). */
  mask?: Tensor;
  /** Defaults to 1 / sqrt(head size). */
  scale?: number;
  /** Dropout on the attention probabilities. */
  dropout?: { rate: number; seed: number };
}

/** softmax(q k^T * scale + mask) v per head; q, k, v and the result are (B, S, heads * D). */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): Tensor<FloatDType> {
  // (A bad heads count or shape gets the fused op's error below.)
  if (q.rank === 3 && Number.isInteger(options.heads) && options.heads > 0 && !fusedHeadDim(q.shape[2] / options.heads)) {
    return composedAttention(q, k, v, options);
  }
  const { out, lse } = attentionRaw(q, k, v, options);
  if (!recording(q, k, v)) {
    lse.dispose();
    return out as Tensor<FloatDType>;
  }
  return record('attention', [q, k, v], out as Tensor<FloatDType>, ({ save, own }) => {
    const [sq, sk, sv, so] = [save(q), save(k), save(v), save(out)];
    const sl = own(lse);
    const saved = { ...options, mask: options.mask ? save(options.mask) : undefined };
    return (dy) => {
      const { dq, dk, dv } = attentionBackward(sq, sk, sv, so, dy, sl, saved);
      return [dq, dk, dv];
    };
  });
}

// Masked keys get this instead of -Infinity, so a row whose keys are all masked has finite scores;
// its output is then zeroed, as the fused kernels give.
const MASKED = -1e30;

function composedAttention(q: Tensor, kt: Tensor, v: Tensor, { heads, mask, scale: s, dropout: drop }: AttentionOptions): Tensor<FloatDType> {
  const [B, S, hidden] = q.shape;
  const same = (t: Tensor) => t.rank === 3 && t.shape.every((d, i) => d === q.shape[i]);
  if (hidden % heads !== 0 || !same(kt) || !same(v) || (q.dtype !== 'f32' && q.dtype !== 'f16')) {
    return attentionRaw(q, kt, v, { heads, mask, scale: s }).out; // throws the fused op's shape error
  }
  if (q.dtype === 'f16') {
    // (permute moves 32-bit words: the composed path, for head dims the fused kernels lack, runs in f32.)
    return tidy(() => castTo(composedAttention(castTo(q, 'f32'), castTo(kt, 'f32'), castTo(v, 'f32'), { heads, mask, scale: s, dropout: drop }), 'f16'));
  }
  const D = hidden / heads;
  return tidy(() => {
    const split = (t: Tensor) => permute(reshape(t, [B, S, heads, D]), [0, 2, 1, 3]); // (B, H, S, D)
    let scores = scale(matmul(split(q), split(kt), { transB: true }), s ?? 1 / Math.sqrt(D)); // (B, H, S, S)
    let present: Tensor | null = null;
    if (mask) {
      const m = ew.clamp(mask, MASKED, Infinity); // (B, S); needs no gradient
      scores = add(scores, m.reshape([B, 1, 1, S]));
      // 1 for a batch row with at least one unmasked key, else 0.
      present = positiveMask(ew.affine(reduce('max', m, { axis: 1 }), 1, -MASKED / 2)).reshape([B, 1, 1, 1]);
    }
    let p: Tensor = softmax(scores);
    if (drop && drop.rate > 0) p = dropout(p, drop.rate, drop.seed);
    let ctx: Tensor = matmul(p, split(v)); // (B, H, S, D)
    if (present) ctx = mul(ctx, present);
    return reshape(permute(ctx, [0, 2, 1, 3]), [B, S, hidden]) as Tensor<FloatDType>;
  });
}
