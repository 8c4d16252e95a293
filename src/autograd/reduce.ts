// Differentiable reductions over shaders/reduce.wgsl: sum, mean and max over axes.
import type { FloatDType } from '../gpu/dtype.ts';
import type { Tensor } from '../gpu/tensor.ts';
import * as k from '../kernels/elementwise.ts';
import { reduce as reduceRaw, type ReduceOptions } from '../kernels/reduce.ts';
import { normAxis } from '../kernels/shape.ts';
import { positiveMask } from './elementwise.ts';
import { broadcastTo } from './shape.ts';
import { record } from './tape.ts';

/** The reduced axes (all when none are given) and the input shape with them kept as 1. */
function reducedAxes(op: string, x: Tensor, options: ReduceOptions): { axes: number[]; kept: number[] } {
  const axes = options.axis === undefined ? x.shape.map((_, i) => i)
    : (Array.isArray(options.axis) ? options.axis : [options.axis]).map((a) => normAxis(op, a, x.rank));
  return { axes, kept: x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) };
}

export function sum(x: Tensor, options: ReduceOptions = {}): Tensor<FloatDType> {
  const y = reduceRaw('sum', x, options);
  return record('sum', [x], y, () => {
    const { kept } = reducedAxes('sum', x, options);
    return (dy) => [broadcastTo(dy.reshape(kept), x.shape)];
  });
}

export function mean(x: Tensor, options: ReduceOptions = {}): Tensor<FloatDType> {
  const y = reduceRaw('mean', x, options);
  return record('mean', [x], y, () => {
    const { axes, kept } = reducedAxes('mean', x, options);
    const count = axes.reduce((n, a) => n * x.shape[a], 1);
    return (dy) => [broadcastTo(k.scale(dy.reshape(kept), 1 / count), x.shape)];
  });
}

/**
 * Max over axes. The gradient goes to the elements equal to the max; tied maxima share it
 * equally (as torch.amax). NaN propagates.
 */
export function max(x: Tensor, options: ReduceOptions = {}): Tensor<FloatDType> {
  const y = reduceRaw('max', x, options);
  return record('max', [x], y, ({ save }) => {
    const sx = save(x);
    const sy = save(y);
    const { axes, kept } = reducedAxes('max', x, options);
    return (dy) => {
      // x <= max everywhere, so "x == max" is "not (max - x > 0)".
      const isMax = k.affine(positiveMask(k.sub(sy.reshape(kept), sx)), -1, 1);
      const ties = reduceRaw('sum', isMax, { axis: axes, keepDims: true });
      return [k.mul(isMax, k.div(dy.reshape(kept), ties))];
    };
  });
}
