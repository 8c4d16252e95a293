// Softmax over the last axis and its backward (shaders/softmax.wgsl).
import type { FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { rowGroups, rowLayout, type RowLayout } from './launch.ts';
import { expectFloat } from './shape.ts';

/** Launch choices (tests): a row layout, and `scalar` to skip the vec4 entries when C % 4 == 0. */
export type SoftmaxLayout = Partial<RowLayout> & { scalar?: boolean };

const forwardKernel = new Kernel({ shader: 'softmax', entry: 'forward' });
const backwardKernel = new Kernel({ shader: 'softmax', entry: 'backward' });
const forwardVec4Kernel = new Kernel({ shader: 'softmax', entry: 'forward_vec4' });
const backwardVec4Kernel = new Kernel({ shader: 'softmax', entry: 'backward_vec4' });

function rowsOf(op: string, x: Tensor): { rows: number; C: number } {
  if (x.rank < 1) throw new OpError(op, `expected at least one axis, got shape ${shapeStr(x.shape)}`);
  const C = x.shape[x.rank - 1];
  return { rows: C === 0 ? 0 : x.size / C, C };
}

/**
 * softmax(x) over the last axis (f32 or f16 storage, statistics in f32); (..., C) -> (..., C). A row that is entirely -inf gives zeros;
 * a NaN anywhere in a row makes that row NaN. `layout` forces a launch layout (tests).
 */
export function softmax(x: Tensor, layout?: SoftmaxLayout): Tensor<FloatDType> {
  const dtype = expectFloat('softmax', { x });
  const { rows, C } = rowsOf('softmax', x);
  const e = engine();
  const y = e.empty(x.shape, dtype);
  if (rows === 0) return y;
  const vec4 = C % 4 === 0 && !layout?.scalar;
  const l = rowLayout(vec4 ? C / 4 : C, layout);
  e.run((vec4 ? forwardVec4Kernel : forwardKernel).as(dtype), {
    bindings: vec4 ? { x4: x, y4: y } : { xs: x, y },
    uniforms: { rows, C },
    overrides: { WG: l.wg, TPR: l.tpr },
    workgroups: rowGroups(rows, l),
  });
  return y;
}

/** dx = y * (dy - sum(dy * y)) over the last axis, from dy and the forward's output y, both (..., C). */
export function softmaxBackward(dy: Tensor, y: Tensor, layout?: SoftmaxLayout): Tensor<FloatDType> {
  const dtype = expectFloat('softmaxBackward', { y, dy });
  if (dy.rank !== y.rank || dy.shape.some((d, i) => d !== y.shape[i])) {
    throw new OpError('softmaxBackward', `dy ${shapeStr(dy.shape)} and y ${shapeStr(y.shape)} must have the same shape`);
  }
  const { rows, C } = rowsOf('softmaxBackward', y);
  const e = engine();
  const dx = e.empty(y.shape, dtype);
  if (rows === 0) return dx;
  const vec4 = C % 4 === 0 && !layout?.scalar;
  const l = rowLayout(vec4 ? C / 4 : C, layout);
  e.run((vec4 ? backwardVec4Kernel : backwardKernel).as(dtype), {
    bindings: vec4 ? { dy4: dy, saved_y4: y, dx4: dx } : { dy, saved_y: y, dx },
    uniforms: { rows, C },
    overrides: { WG: l.wg, TPR: l.tpr },
    workgroups: rowGroups(rows, l),
  });
  return dx;
}
