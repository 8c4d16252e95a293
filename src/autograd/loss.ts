// Differentiable sparse softmax cross-entropy (src/kernels/cross_entropy.ts): the forward keeps
// each row's log-sum-exp and the backward writes dlogits from it, never storing a softmax.
import type { FloatDType } from '../gpu/dtype.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { sparseCrossEntropy, sparseCrossEntropyBackward, type CrossEntropyOptions as KernelOptions, type Labels } from '../kernels/cross_entropy.ts';
import { record, recording } from './tape.ts';

export interface CrossEntropyOptions {
  /** (N) f32 per-row weights (KerasNLP's sample weights). */
  weights?: Tensor;
  /** Rows whose label is this are skipped. Default -100 (Hugging Face). */
  ignoreIndex?: number;
  /** How a bad label is named in errors. */
  names?: KernelOptions['names'];
}

/**
 * Mean cross-entropy of logits (N, V) against integer labels (N): sum(w_i * loss_i) / sum(w_i)
 * over rows whose label is not ignoreIndex (0 when there are none). Returns a scalar (shape []).
 * Labels on the host (Int32Array) are range-checked there; labels on the GPU are checked by the
 * kernel: a bad one fails the next download with an error naming it (src/kernels/cross_entropy.ts).
 */
export function crossEntropy(logits: Tensor, labels: Labels, options: CrossEntropyOptions = {}): Tensor<FloatDType> {
  const { loss, lse } = sparseCrossEntropy(logits, labels, options);
  if (!recording(logits)) {
    lse.dispose();
    return loss as Tensor<FloatDType>;
  }
  return record('crossEntropy', [logits], loss as Tensor<FloatDType>, ({ save, own }) => {
    const [sx, sl, se] = [save(logits), labels instanceof Int32Array ? labels : save(labels), own(lse)];
    const weights = options.weights ? save(options.weights) : undefined;
    return (dy) => [sparseCrossEntropyBackward(sx, sl, se, { ...options, weights, dLoss: dy })];
  });
}
