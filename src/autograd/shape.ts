// Shape ops (views and permutations) and the broadcasting helpers every backward rule uses.
import type { FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import type { Shape, Tensor } from '../gpu/tensor.ts';
import { add as addRaw } from '../kernels/elementwise.ts';
import { cast, zeros } from '../kernels/fill.ts';
import { permute as permuteRaw } from '../kernels/permute.ts';
import { sum as sumRaw } from '../kernels/reduce.ts';
import { record } from './tape.ts';

/** Sums a gradient of a broadcast result back to the shape of the operand that was broadcast. */
export function unbroadcast<T extends Tensor>(g: T, shape: Shape): T {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) throw new OpError('unbroadcast', `gradient ${shapeStr(g.shape)} has lower rank than ${shapeStr(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  if (!axes.length) return g.reshape(shape) as T;
  // (An f16 gradient is summed in f32 and rounded once: a rare path, broadcast batch dims only.)
  const wide = g.dtype === 'f16' ? cast(g, 'f32') : g;
  const summed = sumRaw(wide, { axis: axes });
  if (wide !== g) wide.dispose();
  const out = summed.reshape(shape);
  summed.dispose();
  if (g.dtype !== 'f16') return out as unknown as T;
  const narrow = cast(out, 'f16');
  out.dispose();
  return narrow as unknown as T;
}

/** Broadcasts t (NumPy rules) to `shape` as a new tensor. */
export function broadcastTo(t: Tensor<FloatDType>, shape: Shape): Tensor<FloatDType> {
  const base = zeros(shape);
  const out = addRaw(base, t);
  base.dispose();
  return out;
}

/** A view with another shape (no copy). One dimension may be -1. */
export function reshape<T extends Tensor>(x: T, shape: Shape): T {
  const y = x.reshape(shape) as T;
  return record('reshape', [x], y, () => (dy) => [dy.reshape(x.shape)]);
}

/** Collapses the dimensions from `start` on into one. */
export function flatten<T extends Tensor>(x: T, start = 0): T {
  const s = start < 0 ? start + x.rank : start;
  return reshape(x, [...x.shape.slice(0, s), -1]);
}

export function permute<T extends Tensor>(x: T, perm: readonly number[]): T {
  const y = permuteRaw(x, perm);
  return record('permute', [x], y as Tensor, () => {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return (dy) => [permuteRaw(dy, inverse)];
  }) as T;
}

/** Swaps the last two axes. */
export function transpose<T extends Tensor>(x: T): T {
  if (x.rank < 2) throw new OpError('transpose', `needs rank >= 2, got shape ${shapeStr(x.shape)}`);
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return permute(x, perm);
}
