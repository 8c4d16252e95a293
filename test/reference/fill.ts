// Float64 references for shaders/cast.wgsl.
import { f16BitsToF32, f32ToF16Bits, type DType } from '../../src/gpu/dtype.ts';

/** What one element becomes when cast to `to` (the value as a JS number). */
export function castRef(v: number, from: DType, to: DType): number {
  if (from !== 'f32' && from !== 'f16' && (to === 'i32' || to === 'u32')) {
    // integer -> integer keeps the 32 bits (two's complement wrap, as NumPy's astype)
    return to === 'i32' ? v | 0 : v >>> 0;
  }
  const x = Math.fround(v);
  switch (to) {
    case 'f32': return x;
    case 'f16': return f16BitsToF32(f32ToF16Bits(x));
    case 'i32': return Number.isNaN(x) ? 0 : Math.trunc(Math.min(Math.max(x, -2147483648), 2147483520));
    case 'u32': return Number.isNaN(x) ? 0 : Math.trunc(Math.min(Math.max(x, 0), 4294967040));
  }
}
