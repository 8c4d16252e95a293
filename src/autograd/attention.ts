// Differentiable fused multi-head attention over src/kernels/attention.ts. The forward saves
// the per-row log-sum-exp; the backward recomputes the probabilities from it (and regenerates
// the dropout mask from its seed), so no (S x S) matrix is ever stored.
import type { Tensor } from '../gpu/tensor.ts';
import { attention as attentionRaw, attentionBackward } from '../kernels/attention.ts';
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
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): Tensor<'f32'> {
  const { out, lse } = attentionRaw(q, k, v, options);
  if (!recording(q, k, v)) {
    lse.dispose();
    return out as Tensor<'f32'>;
  }
  return record('attention', [q, k, v], out as Tensor<'f32'>, ({ save, own }) => {
    const [sq, sk, sv, so] = [save(q), save(k), save(v), save(out)];
    const sl = own(lse);
    const saved = { ...options, mask: options.mask ? save(options.mask) : undefined };
    return (dy) => {
      const { dq, dk, dv } = attentionBackward(sq, sk, sv, so, dy, sl, saved);
      return [dq, dk, dv];
    };
  });
}
