// Filling, copying and casting tensors (shaders/fill.wgsl, copy.wgsl, cast.wgsl).
import { f32ToF16Bits, type DType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Shape, Tensor } from '../gpu/tensor.ts';
import { strideGroups } from './launch.ts';
import { grid } from './shape.ts';

const fillKernel = new Kernel({ shader: 'fill' });
const copyKernel = new Kernel({ shader: 'copy' });
const castKernel = new Kernel({ shader: 'cast' });
const WG = 256;
const CODE: Record<DType, number> = { f32: 0, i32: 1, u32: 2, f16: 3 };

// fill and copy: vec4s of words in a grid-stride loop over whole buffers (multiples of 16 bytes).
const WG4 = 64;
function wordVec4s(bytes: number): { n4: number; stride: number; groups: number } {
  const n4 = Math.max(1, Math.ceil(bytes / 16));
  const groups = strideGroups(n4, WG4);
  return { n4, stride: groups * WG4, groups };
}

const scratch = new DataView(new ArrayBuffer(4));

/** The 32-bit word that repeats `value` in a buffer of `dtype`. */
function pattern(value: number, dtype: DType): number {
  if (dtype === 'f32') scratch.setFloat32(0, value, true);
  else if (dtype === 'i32') scratch.setInt32(0, value, true);
  else if (dtype === 'u32') scratch.setUint32(0, value, true);
  else {
    const h = f32ToF16Bits(value);
    scratch.setUint32(0, (h | (h << 16)) >>> 0, true);
  }
  return scratch.getUint32(0, true);
}

/** Overwrites every element of `t` with `value` (in place). */
export function fill(t: Tensor, value: number): Tensor {
  const { n4, stride, groups } = wordVec4s(t.storage.bytes);
  engine().run(fillKernel, {
    bindings: { y: t },
    uniforms: { n4, stride, bits: pattern(value, t.dtype) },
    overrides: { WG: WG4 },
    workgroups: [groups],
  });
  return t;
}

export function full<D extends DType = 'f32'>(shape: Shape, value: number, dtype?: D): Tensor<D> {
  return fill(engine().empty(shape, (dtype ?? 'f32') as D), value) as Tensor<D>;
}

export const zeros = <D extends DType = 'f32'>(shape: Shape, dtype?: D) => full(shape, 0, dtype);
export const ones = <D extends DType = 'f32'>(shape: Shape, dtype?: D) => full(shape, 1, dtype);

/** A new tensor with the same contents (its own buffer). */
export function copy<D extends DType>(x: Tensor<D>): Tensor<D> {
  const y = engine().empty(x.shape, x.dtype);
  copyInto(x, y);
  return y;
}

/** Copies x's contents into y (same dtype and element count). */
export function copyInto(x: Tensor, y: Tensor): void {
  if (x.dtype !== y.dtype || x.size !== y.size) {
    throw new OpError('copyInto', `source ${shapeStr(x.shape)} ${x.dtype} and destination ${shapeStr(y.shape)} ${y.dtype} differ`);
  }
  if (x.buffer === y.buffer) return;
  const { n4, stride, groups } = wordVec4s(x.storage.bytes);
  engine().run(copyKernel, { bindings: { x, y }, uniforms: { n4, stride }, overrides: { WG: WG4 }, workgroups: [groups] });
}

/** Converts to another dtype. Floats to ints truncate toward zero and saturate; NaN becomes 0. */
export function cast<D extends DType>(x: Tensor, dtype: D): Tensor<D> {
  const y = engine().empty(x.shape, dtype);
  if (x.size === 0) return y;
  const words = dtype === 'f16' ? Math.ceil(x.size / 2) : x.size;
  engine().run(castKernel, {
    bindings: { x, y },
    uniforms: { n: x.size },
    overrides: { FROM: CODE[x.dtype], TO: CODE[dtype], WG },
    workgroups: grid(words, WG),
  });
  return y;
}
