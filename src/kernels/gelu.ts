// GELU, exact (x * Phi(x) with an accurate erf) or tanh-approximated, and its backward
// (shaders/gelu.wgsl; the scalar math is shaders/gelu_math.wgsl, which matmul epilogues share).
import type { FloatDType } from '../gpu/dtype.ts';
import { Kernel } from '../gpu/kernel.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { strideGroups } from './launch.ts';
import { expectFloat } from './shape.ts';

const forwardKernel = new Kernel({ shader: 'gelu', entry: 'forward' });
const backwardKernel = new Kernel({ shader: 'gelu', entry: 'backward' });
const WG = 64;

export type GeluApproximation = 'none' | 'tanh';

function approxFlag(op: string, approximate: GeluApproximation): boolean {
  if (approximate !== 'none' && approximate !== 'tanh') throw new OpError(op, `approximate must be 'none' or 'tanh', got '${approximate}'`);
  return approximate === 'tanh';
}

/** y = gelu(x) elementwise; (...) -> (...). */
export function gelu(x: Tensor, approximate: GeluApproximation = 'none'): Tensor<FloatDType> {
  const dtype = expectFloat('gelu', { x });
  const APPROX = approxFlag('gelu', approximate);
  const e = engine();
  const y = e.empty(x.shape, dtype);
  if (x.size === 0) return y;
  const n4 = Math.ceil(x.size / 4);
  const groups = strideGroups(n4, WG);
  // Whole buffers (multiples of 16 bytes) so the last vec4 is in bounds; see shaders/gelu.wgsl.
  e.run(forwardKernel.as(dtype), {
    bindings: { x, y },
    uniforms: { n4, stride: groups * WG },
    overrides: { APPROX, WG },
    workgroups: [groups],
  });
  return y;
}

/** dx = dy * gelu'(x); dy and x (...) of the same shape -> dx (...). */
export function geluBackward(dy: Tensor, x: Tensor, approximate: GeluApproximation = 'none'): Tensor<FloatDType> {
  const dtype = expectFloat('geluBackward', { x, dy });
  const APPROX = approxFlag('geluBackward', approximate);
  if (dy.size !== x.size || dy.rank !== x.rank || dy.shape.some((d, i) => d !== x.shape[i])) {
    throw new OpError('geluBackward', `dy ${shapeStr(dy.shape)} and x ${shapeStr(x.shape)} must have the same shape`);
  }
  const e = engine();
  const dx = e.empty(x.shape, dtype);
  if (x.size === 0) return dx;
  const n4 = Math.ceil(x.size / 4);
  const groups = strideGroups(n4, WG);
  e.run(backwardKernel.as(dtype), {
    bindings: { x, dy, dx },
    uniforms: { n4, stride: groups * WG },
    overrides: { APPROX, WG },
    workgroups: [groups],
  });
  return dx;
}
