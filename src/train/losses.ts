// Losses the task models do not compute themselves, built from differentiable ops.
import type { FloatDType } from '../gpu/dtype.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { abs, add, affine, exp, log, mul, relu, sub } from '../autograd/elementwise.ts';
import { mean } from '../autograd/reduce.ts';
import { reshape } from '../autograd/shape.ts';

/**
 * Mean binary cross-entropy of single logits x (N) against 0 / 1 targets y (N, f32), in the
 * stable form max(x, 0) - x y + log(1 + exp(-|x|)) (torch's BCEWithLogitsLoss, Keras'
 * binary_crossentropy from_logits): never exp of a large positive number.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor): Tensor<FloatDType> {
  const x = logits.rank === 1 ? logits : reshape(logits, [logits.size]);
  const softplusTail = log(affine(exp(affine(abs(x), -1)), 1, 1));
  const perRow = add(sub(relu(x), mul(x, targets)), softplusTail);
  return mean(perRow); // shape []
}
