// A seeded generator for test inputs, so a failing case reproduces.
import { f16BitsToF32, f32ToF16Bits } from '../../src/gpu/dtype.ts';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [lo, hi), rounded to f32 so the reference sees exactly what the GPU sees. */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

export function randomInts(n: number, seed: number, lo: number, hi: number): Int32Array {
  const r = rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(r() * (hi - lo));
  return out;
}

/** uniform() rounded to halves: the bits to upload as an f16 tensor, and the values the kernel reads (exact in f32). */
export function uniformHalves(n: number, seed: number, lo = -1, hi = 1): { bits: Uint16Array; v: Float32Array } {
  const bits = Uint16Array.from(uniform(n, seed, lo, hi), f32ToF16Bits);
  return { bits, v: Float32Array.from(bits, f16BitsToF32) };
}
