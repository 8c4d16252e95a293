// Shape arithmetic shared by the launchers: strides, broadcasting, grids and argument checks.
import type { DType, FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import type { Shape, Tensor } from '../gpu/tensor.ts';

export const MAX_RANK = 8;

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** NumPy broadcasting of two shapes; names the op and both shapes when they do not broadcast. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new OpError(op, `shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast (axis ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` read as if broadcast to `out` (0 on broadcast axes). */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const own = stridesOf(shape);
  return out.map((d, i) => {
    const j = shape.length - out.length + i;
    return j < 0 || shape[j] === 1 ? 0 : own[j];
  });
}

/**
 * Merges the axes of a contiguous output that every operand walks alike, for the kernels that
 * decompose an output index over its axes (binary broadcast, permute): size-1 axes are dropped,
 * then neighbours i, i + 1 merged where each operand's stride[i] = stride[i + 1] * shape[i + 1].
 * [16, 128, 128] + [128] becomes [2048, 128] with b's strides [0, 1]; a [0, 2, 1, 3] permute of
 * [B, S, H, D] becomes [B, H, S, D] still, and [0, 1, 3, 2] of [B, 1, S, D] becomes [B, D, S].
 */
export function collapseAxes(out: Shape, ...strides: number[][]): { shape: number[]; strides: number[][] } {
  const keep = out.map((d, i) => i).filter((i) => out[i] !== 1);
  const shape: number[] = [];
  const merged: number[][] = strides.map(() => []);
  for (const i of keep) {
    const last = shape.length - 1;
    if (last >= 0 && strides.every((s, k) => merged[k][last] === s[i] * out[i])) {
      shape[last] *= out[i];
      strides.forEach((s, k) => { merged[k][last] = s[i]; });
    } else {
      shape.push(out[i]);
      strides.forEach((s, k) => merged[k].push(s[i]));
    }
  }
  if (!shape.length) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape, strides: merged };
}

/** Workgroup counts for `invocations` threads in groups of `wg`, folded into 2-D past 65535. */
export function grid(invocations: number, wg: number, maxDim = 65535): [number, number] {
  const groups = Math.max(1, Math.ceil(invocations / wg));
  if (groups <= maxDim) return [groups, 1];
  const x = maxDim;
  return [x, Math.ceil(groups / x)];
}

export function expectDType(op: string, t: Tensor, ...allowed: DType[]): void {
  if (!allowed.includes(t.dtype)) {
    throw new OpError(op, `expected ${allowed.join(' or ')} input, got ${t.dtype} ${shapeStr(t.shape)}`);
  }
}

/**
 * The float type shared by an op's activation inputs (f32 or f16; named in the order given, for
 * the error when one differs or is not a float).
 */
export function expectFloat(op: string, tensors: Record<string, Tensor>): FloatDType {
  const entries = Object.entries(tensors);
  const [firstName, first] = entries[0];
  expectDType(op, first, 'f32', 'f16');
  for (const [name, t] of entries.slice(1)) {
    if (t.dtype !== first.dtype) {
      throw new OpError(op, `${name} is ${t.dtype} ${shapeStr(t.shape)} but ${firstName} is ${first.dtype}: the activations of one op share a float type (cast one)`);
    }
  }
  return first.dtype as FloatDType;
}

export function expectRank(op: string, t: Tensor, ...ranks: number[]): void {
  if (!ranks.includes(t.rank)) {
    throw new OpError(op, `expected a tensor of rank ${ranks.join(' or ')}, got shape ${shapeStr(t.shape)}`);
  }
}

export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) throw new OpError(op, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}
