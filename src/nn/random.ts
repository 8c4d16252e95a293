// A seeded, counter-based host random generator: parameter initialisation and dropout seeds.
// Its whole state is (seed, counter), so a training run saves it and resumes bit-identically.

export interface GeneratorState {
  seed: number;
  counter: number;
}

// murmur3's 32-bit finaliser: a bijection on u32 with full avalanche.
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Generator {
  private seed: number;
  private counter = 0;

  constructor(seed = 0) {
    this.seed = seed >>> 0;
  }

  state(): GeneratorState {
    return { seed: this.seed, counter: this.counter };
  }

  setState(state: GeneratorState): void {
    if (!Number.isSafeInteger(state.counter) || state.counter < 0) throw new Error(`Generator: invalid counter ${state.counter}`);
    this.seed = state.seed >>> 0;
    this.counter = state.counter;
  }

  /** The next uniformly distributed u32. */
  nextU32(): number {
    const c = this.counter++;
    const lo = c >>> 0;
    const hi = Math.floor(c / 4294967296) >>> 0;
    return fmix32(fmix32(lo ^ this.seed) ^ fmix32((hi + 0x9e3779b9) ^ Math.imul(this.seed, 0x27d4eb2f)));
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** n samples of normal(mean, std), rounded to f32 (Box-Muller). */
  normal(n: number, std = 1, mean = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u1 = 1 - this.uniform(); // (0, 1]
      const u2 = this.uniform();
      const r = Math.sqrt(-2 * Math.log(u1)) * std;
      out[i] = mean + r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) out[i + 1] = mean + r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }

  /** A fresh 32-bit seed for a GPU random stream (dropout). */
  nextSeed(): number {
    return this.nextU32();
  }
}
