// Sum, mean and max over axes (shaders/reduce.wgsl). A tensor is viewed as (outer, len, inner)
// around the reduced axis; several axes reduce one after another.
import type { FloatDType } from '../gpu/dtype.ts';
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { expectDType, grid, normAxis } from './shape.ts';

const rowsKernel = new Kernel({ shader: 'reduce', entry: 'rows' });
const columnsKernel = new Kernel({ shader: 'reduce', entry: 'columns' });
const WG = 256;
// A row longer than this, with few rows to spread over, is split into chunks reduced twice.
const CHUNK = 16384;

export type ReduceOp = 'sum' | 'mean' | 'max';

export interface ReduceOptions {
  /** Axis or axes to reduce; all axes when omitted. */
  axis?: number | number[];
  keepDims?: boolean;
}

function reduceAxis(op: ReduceOp, x: Tensor, axis: number): Tensor<FloatDType> {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const len = x.shape[axis];
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outShape = x.shape.filter((_, i) => i !== axis);
  const e = engine();
  const OP = op === 'max' ? 1 : 0;
  const scale = op === 'mean' ? 1 / len : 1;
  if (len === 0) throw new OpError(op, `cannot reduce over axis ${axis} of length 0 in ${shapeStr(x.shape)}`);
  if (inner > 1) {
    const y = e.empty(outShape, 'f32');
    e.run(columnsKernel, {
      bindings: { x, y },
      uniforms: { outer, len, inner, chunks: 1, scale },
      overrides: { OP, WG },
      workgroups: grid(outer * inner, WG),
    });
    return y;
  }
  const chunks = outer < 64 && len > CHUNK ? Math.min(256, Math.ceil(len / CHUNK)) : 1;
  const rows = (input: Tensor, n: number, l: number, c: number, s: number, shape: number[]) => {
    const y = e.empty(shape, 'f32');
    e.run(rowsKernel, {
      bindings: { x: input, y },
      uniforms: { outer: n, len: l, inner: 1, chunks: c, scale: s },
      overrides: { OP, WG },
      workgroups: grid(n * c, 1),
    });
    return y;
  };
  if (chunks === 1) return rows(x, outer, len, 1, scale, outShape);
  const partial = rows(x, outer, len, chunks, 1, [outer, chunks]);
  const y = rows(partial, outer, chunks, 1, scale, outShape);
  partial.dispose();
  return y;
}

export function reduce(op: ReduceOp, x: Tensor, options: ReduceOptions = {}): Tensor<FloatDType> {
  expectDType(op, x, 'f32');
  const axes = options.axis === undefined ? x.shape.map((_, i) => i)
    : (Array.isArray(options.axis) ? options.axis : [options.axis]).map((a) => normAxis(op, a, x.rank));
  if (new Set(axes).size !== axes.length) throw new OpError(op, `axis list ${JSON.stringify(options.axis)} repeats an axis`);
  const sorted = [...axes].sort((a, b) => b - a); // reduce the last axes first so indices stay valid
  let cur: Tensor = x;
  for (const axis of sorted) {
    const next = reduceAxis(op, cur, axis);
    if (cur !== x) cur.dispose();
    cur = next;
  }
  if (cur === x) {
    // A rank-0 input has no axis to reduce: the result is a copy.
    const view = x.reshape([1]);
    cur = reduceAxis('sum', view, 0);
    view.dispose();
  }
  if (options.keepDims) {
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const view = cur.reshape(kept);
    cur.dispose();
    return view as Tensor<FloatDType>;
  }
  return cur as Tensor<FloatDType>;
}

export const sum = (x: Tensor, options?: ReduceOptions) => reduce('sum', x, options);
export const mean = (x: Tensor, options?: ReduceOptions) => reduce('mean', x, options);
export const max = (x: Tensor, options?: ReduceOptions) => reduce('max', x, options);
