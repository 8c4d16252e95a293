// Differentiable float cast: f32 <-> f16 storage. The gradient goes back in the source's type, so
// an f32 master weight (or activation) cast to f16 still gets an f32 gradient.
import type { FloatDType } from '../gpu/dtype.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { cast as castRaw } from '../kernels/fill.ts';
import { expectDType } from '../kernels/shape.ts';
import { record } from './tape.ts';

/** x stored as `dtype` (a new tensor; x itself when it already is). */
export function castTo(x: Tensor, dtype: FloatDType): Tensor<FloatDType> {
  expectDType('castTo', x, 'f32', 'f16');
  if (x.dtype === dtype) return x as Tensor<FloatDType>;
  const from = x.dtype as FloatDType;
  return record('cast', [x], castRaw(x, dtype), () => (dy) => [dy.dtype === from ? dy : castRaw(dy, from)]);
}
