// A tensor is a shape and a dtype over a pooled GPU buffer. Views (reshape) share the buffer and
// count references; the buffer returns to the pool when the last view is disposed.
import type { Engine } from './engine.ts';
import type { DType, TypedArrayFor } from './dtype.ts';
import { OpError, shapeStr } from './errors.ts';

export type Shape = readonly number[];

export class Storage {
  refs = 1;
  constructor(readonly buffer: GPUBuffer, readonly bytes: number) {}
}

/** What src/autograd attaches to a tensor it recorded: told when that tensor is disposed, so the
 * tape can free what it saved for a backward pass that can no longer happen. */
export interface TapeNode {
  outputDisposed(): void;
}

let nextId = 1;

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new OpError(op, `invalid shape ${shapeStr(shape)}: dimensions must be non-negative integers`);
  }
}

export class Tensor<D extends DType = DType> {
  readonly id = nextId++;
  readonly size: number;
  disposed = false;
  /** Set by src/autograd: whether backward() should produce a gradient for this tensor. */
  requiresGrad = false;
  /** Set by src/autograd: the accumulated gradient after backward(). */
  grad: Tensor | null = null;
  /** Set by src/autograd: the tape node that produced this tensor. */
  node: TapeNode | null = null;
  /** An optional name (parameters carry their checkpoint path here). */
  name?: string;

  constructor(readonly engine: Engine, readonly shape: Shape, readonly dtype: D, readonly storage: Storage) {
    this.size = sizeOf(shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get buffer(): GPUBuffer {
    if (this.disposed) throw new OpError('tensor', `tensor #${this.id} ${shapeStr(this.shape)} ${this.dtype} was used after dispose()`);
    return this.storage.buffer;
  }

  /** Downloads the values. The only operation that waits for the GPU. */
  data(): Promise<TypedArrayFor<D>> {
    return this.engine.read(this) as Promise<TypedArrayFor<D>>;
  }

  /** A view with another shape over the same buffer (no copy). One dimension may be -1. */
  reshape(shape: Shape): Tensor<D> {
    const resolved = resolveReshape(this.shape, shape);
    this.buffer; // throws if disposed
    this.storage.refs++;
    return this.engine.adopt(new Tensor(this.engine, resolved, this.dtype, this.storage));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.release(this);
    this.node?.outputDisposed();
  }

  toString(): string {
    return `Tensor#${this.id}(${shapeStr(this.shape)}, ${this.dtype})`;
  }
}

export function resolveReshape(from: Shape, to: Shape): number[] {
  const size = sizeOf(from);
  const out = [...to];
  const free = out.indexOf(-1);
  if (free >= 0) {
    const rest = out.reduce((p, d, i) => (i === free ? p : p * d), 1);
    if (rest === 0 || size % rest !== 0) throw new OpError('reshape', `cannot reshape ${shapeStr(from)} to ${shapeStr(to)}`);
    out[free] = size / rest;
  }
  checkShape('reshape', out);
  if (sizeOf(out) !== size) throw new OpError('reshape', `cannot reshape ${shapeStr(from)} (${size} elements) to ${shapeStr(to)} (${sizeOf(out)} elements)`);
  return out;
}
