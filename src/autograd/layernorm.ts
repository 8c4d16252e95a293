// Differentiable LayerNorm over the last axis (src/kernels/layernorm.ts); the forward's mean and
// rstd per row are kept for the backward.
import type { FloatDType } from '../gpu/dtype.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { layerNorm as layerNormRaw, layerNormBackward } from '../kernels/layernorm.ts';
import { record, recording } from './tape.ts';

/** (x - mean) / sqrt(var + eps) * gamma + beta over the last axis; gamma, beta (C). */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-12): Tensor<FloatDType> {
  const { y, mean, rstd } = layerNormRaw(x, gamma, beta, eps);
  if (!recording(x, gamma, beta)) {
    mean.dispose();
    rstd.dispose();
    return y as Tensor<FloatDType>;
  }
  return record('layerNorm', [x, gamma, beta], y as Tensor<FloatDType>, ({ save, own }) => {
    const [sx, sg, sm, sr] = [save(x), save(gamma), own(mean), own(rstd)];
    return (dy) => {
      const { dx, dgamma, dbeta } = layerNormBackward(dy, sx, sg, sm, sr);
      return [dx, dgamma, dbeta];
    };
  });
}
