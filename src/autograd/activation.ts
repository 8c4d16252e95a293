// Differentiable GELU and softmax (src/kernels/gelu.ts, src/kernels/softmax.ts).
import type { FloatDType } from '../gpu/dtype.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { gelu as geluRaw, geluBackward } from '../kernels/gelu.ts';
import { softmax as softmaxRaw, softmaxBackward } from '../kernels/softmax.ts';
import { record } from './tape.ts';

/** GELU: exact (erf, BERT's `gelu`) or the tanh approximation (`gelu_new`). */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor<FloatDType> {
  return record('gelu', [x], geluRaw(x, approximate) as Tensor<FloatDType>, ({ save }) => {
    const sx = save(x);
    return (dy) => [geluBackward(dy, sx, approximate)];
  });
}

/** Softmax over the last axis. */
export function softmax(x: Tensor): Tensor<FloatDType> {
  const y = softmaxRaw(x) as Tensor<FloatDType>;
  return record('softmax', [x], y, ({ save }) => {
    const sy = save(y);
    return (dy) => [softmaxBackward(dy, sy)];
  });
}
