// Differentiable GELU and softmax (src/kernels/gelu.ts, src/kernels/softmax.ts).
import type { Tensor } from '../gpu/tensor.ts';
import { gelu as geluRaw, geluBackward } from '../kernels/gelu.ts';
import { softmax as softmaxRaw, softmaxBackward } from '../kernels/softmax.ts';
import { record } from './tape.ts';

/** GELU: exact (erf, BERT's `gelu`) or the tanh approximation (`gelu_new`). */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor<'f32'> {
  return record('gelu', [x], geluRaw(x, approximate) as Tensor<'f32'>, ({ save }) => {
    const sx = save(x);
    return (dy) => [geluBackward(dy, sx, approximate)];
  });
}

/** Softmax over the last axis. */
export function softmax(x: Tensor): Tensor<'f32'> {
  const y = softmaxRaw(x) as Tensor<'f32'>;
  return record('softmax', [x], y, ({ save }) => {
    const sy = save(y);
    return (dy) => [softmaxBackward(dy, sy)];
  });
}
