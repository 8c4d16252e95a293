// Axis permutation and transpose (shaders/permute.wgsl), for any 32-bit dtype.
import { OpError, shapeStr } from '../gpu/errors.ts';
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { MAX_RANK, collapseAxes, expectDType, grid, stridesOf } from './shape.ts';

const kernel = new Kernel({ shader: 'permute' });
const WG = 256;

export function permute<T extends Tensor>(x: T, perm: readonly number[]): T {
  expectDType('permute', x, 'f32', 'i32', 'u32');
  const rank = x.rank;
  const valid = perm.length === rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!valid) throw new OpError('permute', `permutation [${perm.join(', ')}] does not fit a tensor of shape ${shapeStr(x.shape)}`);
  if (rank > MAX_RANK) throw new OpError('permute', `rank ${rank} exceeds the maximum of ${MAX_RANK}`);
  const inStrides = stridesOf(x.shape);
  const shape = perm.map((p) => x.shape[p]);
  const e = engine();
  const y = e.empty(shape, x.dtype);
  if (y.size > 0) {
    const axes = collapseAxes(shape, perm.map((p) => inStrides[p]));
    e.run(kernel, {
      bindings: { x, y },
      uniforms: { n: y.size, shape: axes.shape, strides: axes.strides[0] },
      overrides: { RANK: axes.shape.length, WG },
      workgroups: grid(y.size, WG),
    });
  }
  return y as T;
}

/** Swaps the last two axes. */
export function transpose<T extends Tensor>(x: T): T {
  if (x.rank < 2) throw new OpError('transpose', `needs rank >= 2, got shape ${shapeStr(x.shape)}`);
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return permute(x, perm);
}
