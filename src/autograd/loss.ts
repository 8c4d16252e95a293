// Differentiable sparse softmax cross-entropy (src/kernels/cross_entropy.ts): the forward keeps
// each row's log-sum-exp and the backward writes dlogits from it, never storing a softmax.
import type { Tensor } from '../gpu/tensor.ts';
import { sparseCrossEntropy, sparseCrossEntropyBackward } from '../kernels/cross_entropy.ts';
import { record, recording } from './tape.ts';

export interface CrossEntropyOptions {
  /** (N) f32 per-row weights (KerasNLP's sample weights). */
  weights?: Tensor;
  /** Rows whose label is this are skipped. Default -100 (Hugging Face). */
  ignoreIndex?: number;
}

/**
 * Mean cross-entropy of logits (N, V) against integer labels (N): sum(w_i * loss_i) / sum(w_i)
 * over rows whose label is not ignoreIndex (0 when there are none). Returns a scalar (shape []).
 */
export function crossEntropy(logits: Tensor, labels: Tensor, options: CrossEntropyOptions = {}): Tensor<'f32'> {
  const { loss, lse } = sparseCrossEntropy(logits, labels, options);
  if (!recording(logits)) {
    lse.dispose();
    return loss as Tensor<'f32'>;
  }
  return record('crossEntropy', [logits], loss as Tensor<'f32'>, ({ save, own }) => {
    const [sx, sl, se] = [save(logits), save(labels), own(lse)];
    const weights = options.weights ? save(options.weights) : undefined;
    return (dy) => [sparseCrossEntropyBackward(sx, sl, se, { ...options, weights, dLoss: dy })];
  });
}
