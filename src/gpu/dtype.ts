// Element types a tensor can hold. f32 for activations and weights, i32/u32 for token ids and
// labels, f16 (stored as raw half bits) for adapters that offer shader-f16.
export type DType = 'f32' | 'i32' | 'u32' | 'f16';

/** The float storage types of activations: f32, or f16 (kernels compute in f32 either way). */
export type FloatDType = 'f32' | 'f16';

export type TypedArrayFor<D extends DType> = D extends 'f32' ? Float32Array
  : D extends 'i32' ? Int32Array
  : D extends 'u32' ? Uint32Array
  : Float32Array; // f16 downloads decode to f32 (every half is exactly representable)

export type HostArray = Float32Array | Int32Array | Uint32Array | Uint16Array;

export const bytesPerElement: Record<DType, number> = { f32: 4, i32: 4, u32: 4, f16: 2 };

export function isDType(x: unknown): x is DType {
  return x === 'f32' || x === 'i32' || x === 'u32' || x === 'f16';
}

/** The dtype a host array uploads as by default. Uint16Array means raw f16 bits. */
export function dtypeOfArray(a: HostArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint32Array) return 'u32';
  return 'f16';
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Round-to-nearest-even float32 -> IEEE half bits, with NaN/Inf and subnormals. */
export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) {
    if (mant === 0) return sign * Infinity;
    // Keep the payload so a download reproduces the uploaded bits.
    u32[0] = (h & 0x8000) << 16 | 0x7f800000 | (mant << 13);
    return f32[0];
  }
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
