// Elementwise ops over f32 or f16 activations (computed in f32): unary (shaders/unary.wgsl) and
// broadcasting binary (shaders/binary.wgsl). The output has the inputs' float type.
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { FloatDType } from '../gpu/dtype.ts';
import { MAX_RANK, broadcastShapes, broadcastStrides, collapseAxes, expectDType, expectFloat, grid } from './shape.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { strideGroups } from './launch.ts';

const unaryKernel = new Kernel({ shader: 'unary' });
const binaryKernel = new Kernel({ shader: 'binary' });
const binary4Kernel = new Kernel({ shader: 'binary', entry: 'main4' });
const accumulateKernel = new Kernel({ shader: 'binary', entry: 'accumulate' });
const WG = 256;
// The grid-stride vec4 kernels' workgroup (gelu's).
const WG4 = 64;

export const UNARY_OPS = {
  affine: 0, neg: 1, exp: 2, log: 3, sqrt: 4, rsqrt: 5, abs: 6, tanh: 7, relu: 8,
  sigmoid: 9, square: 10, reciprocal: 11, powScalar: 12, clamp: 13,
} as const;
export type UnaryOp = keyof typeof UNARY_OPS;

export const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, pow: 6 } as const;
export type BinaryOp = keyof typeof BINARY_OPS;

export function unary(op: UnaryOp, x: Tensor, alpha = 0, beta = 0): Tensor<FloatDType> {
  expectDType(op, x, 'f32', 'f16');
  const e = engine();
  const y = e.empty(x.shape, x.dtype as FloatDType);
  if (x.size > 0) {
    const n4 = Math.ceil(x.size / 4);
    const groups = strideGroups(n4, WG4);
    e.run(unaryKernel.as(x.dtype), {
      bindings: { x, y },
      uniforms: { n4, stride: groups * WG4, alpha, beta },
      overrides: { OP: UNARY_OPS[op], WG: WG4 },
      workgroups: [groups],
    });
  }
  return y;
}

export function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor<FloatDType> {
  expectFloat(op, { a, b });
  const shape = broadcastShapes(op, a.shape, b.shape);
  if (shape.length > MAX_RANK) throw new OpError(op, `rank ${shape.length} exceeds the maximum of ${MAX_RANK}`);
  const e = engine();
  const y = e.empty(shape, a.dtype as FloatDType);
  if (y.size === 0) return y;
  const { shape: axes, strides: [as, bs] } = collapseAxes(shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape));
  const rank = axes.length;
  const uniforms = { shape: axes, a_strides: as, b_strides: bs, a_splat: Number(as[rank - 1] === 0), b_splat: Number(bs[rank - 1] === 0) };
  const overrides = { OP: BINARY_OPS[op], RANK: rank, WG };
  // vec4s when every vec4 of y lies in one row of the innermost axis (one axis: the last one's
  // padding lanes land in padding); see shaders/binary.wgsl.
  if (rank === 1 || axes[rank - 1] % 4 === 0) {
    const n4 = Math.ceil(y.size / 4);
    const groups = strideGroups(n4, WG4);
    e.run(binary4Kernel.as(a.dtype), {
      bindings: { a4: a, b4: b, y4: y },
      uniforms: { n: n4, stride: groups * WG4, ...uniforms },
      overrides: { ...overrides, WG: WG4 },
      workgroups: [groups],
    });
  } else {
    e.run(binaryKernel.as(a.dtype), {
      bindings: { a, b, y },
      uniforms: { n: y.size, stride: 0, ...uniforms },
      overrides,
      workgroups: grid(y.size, WG),
    });
  }
  return y;
}

/** acc += x in place (same shape and float type; acc must own its buffer). */
export function addInto(acc: Tensor, x: Tensor): void {
  expectFloat('addInto', { acc, x });
  if (acc.size !== x.size || acc.rank !== x.rank || acc.shape.some((d, i) => d !== x.shape[i])) {
    throw new OpError('addInto', `x ${shapeStr(x.shape)} must have acc's shape ${shapeStr(acc.shape)}`);
  }
  if (acc.size === 0) return;
  const n4 = Math.ceil(acc.size / 4);
  const groups = strideGroups(n4, WG4);
  engine().run(accumulateKernel.as(acc.dtype), {
    bindings: { acc4: acc, b4: x },
    uniforms: { n: n4, stride: groups * WG4, a_splat: 0, b_splat: 0, shape: [], a_strides: [], b_strides: [] },
    overrides: { WG: WG4 },
    workgroups: [groups],
  });
}

export const neg = (x: Tensor) => unary('neg', x);
export const exp = (x: Tensor) => unary('exp', x);
export const log = (x: Tensor) => unary('log', x);
export const sqrt = (x: Tensor) => unary('sqrt', x);
export const rsqrt = (x: Tensor) => unary('rsqrt', x);
export const abs = (x: Tensor) => unary('abs', x);
export const tanh = (x: Tensor) => unary('tanh', x);
export const relu = (x: Tensor) => unary('relu', x);
export const sigmoid = (x: Tensor) => unary('sigmoid', x);
export const square = (x: Tensor) => unary('square', x);
export const reciprocal = (x: Tensor) => unary('reciprocal', x);
/** alpha * x + beta */
export const affine = (x: Tensor, alpha: number, beta = 0) => unary('affine', x, alpha, beta);
export const scale = (x: Tensor, alpha: number) => unary('affine', x, alpha, 0);
export const powScalar = (x: Tensor, exponent: number) => unary('powScalar', x, exponent);
export const clamp = (x: Tensor, lo: number, hi: number) => unary('clamp', x, lo, hi);

export const add = (a: Tensor, b: Tensor) => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor) => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor) => binary('mul', a, b);
export const div = (a: Tensor, b: Tensor) => binary('div', a, b);
export const maximum = (a: Tensor, b: Tensor) => binary('maximum', a, b);
export const minimum = (a: Tensor, b: Tensor) => binary('minimum', a, b);
export const pow = (a: Tensor, b: Tensor) => binary('pow', a, b);
