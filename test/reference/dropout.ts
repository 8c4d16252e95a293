// Float64/integer reference for shaders/philox.wgsl and shaders/dropout.wgsl: the same generator
// (Philox4x32-10, Random123's philox4x32_R with R = 10), written independently of the WGSL (the
// 32x32 -> 64-bit product is formed differently), so tests can predict every mask bit.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
export const PHILOX_DROPOUT = 0x64726f70;
export const PHILOX_ATTENTION = 0x6174746e;
const TWO_16 = 65536;
const TWO_32 = 4294967296;

/** High 32 bits of a * b for u32 a, b: a * b = u * 2^16 + t with u = a * hi16(b), t = a * lo16(b), both exact doubles. */
function mulhi(a: number, b: number): number {
  const t = a * (b % TWO_16);
  const u = a * Math.floor(b / TWO_16);
  const uHi = Math.floor(u / TWO_16);
  const uLo = u % TWO_16;
  return (uHi + Math.floor((uLo * TWO_16 + t) / TWO_32)) >>> 0;
}

export function philox4x32_10(counter: readonly number[], key: readonly number[]): Uint32Array {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return Uint32Array.of(c0, c1, c2, c3);
}

export function seedKey(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / TWO_32)];
}

export function keepThreshold(rate: number): number {
  return Math.min(TWO_32 - 1, Math.round(rate * TWO_32));
}

/** The keep mask (1 kept, 0 dropped) of dropout over n elements. */
export function dropoutMaskRef(n: number, rate: number, seed: number): Uint8Array {
  const key = seedKey(seed);
  const threshold = keepThreshold(rate);
  const keep = new Uint8Array(n);
  for (let g = 0; g * 4 < n; g++) {
    const words = philox4x32_10([g, 0, 0, PHILOX_DROPOUT], key);
    for (let c = 0; c < 4 && g * 4 + c < n; c++) keep[g * 4 + c] = words[c] >= threshold ? 1 : 0;
  }
  return keep;
}

export function dropoutRef(x: ArrayLike<number>, rate: number, seed: number): Float64Array {
  const keep = dropoutMaskRef(x.length, rate, seed);
  const scale = 1 / (1 - rate);
  return Float64Array.from(x, (v, i) => v * keep[i] * scale);
}

/** Keep bit of attention-probs dropout for query i, key j of head h in batch b (H heads). */
export function attentionKeepRef(seed: number, rate: number, b: number, h: number, H: number, i: number, j: number): boolean {
  const words = philox4x32_10([j >>> 1, i >>> 1, b * H + h, PHILOX_ATTENTION], seedKey(seed));
  return words[(i & 1) * 2 + (j & 1)] >= keepThreshold(rate);
}
