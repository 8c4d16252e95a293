import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidy } from '../src/node.ts';
import { Kernel } from '../src/gpu/kernel.ts';
import { attention, attentionBackward, attentionTuning, paddingMaskToAdditive, type AttentionOptions } from '../src/kernels/attention.ts';
import { attentionBackwardRef, attentionRef, type AttentionRefOptions } from './reference/attention.ts';
import { numericVjp } from './util/gradcheck.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { TOL, assertClose, type Tolerance } from './util/tolerance.ts';

beforeAll(gpu);
afterEach(() => {
  attentionTuning.variant = 'auto';
  attentionTuning.rowsPerLane = 0;
});

interface Case {
  B: number;
  S: number;
  H: number;
  D: number;
  /** Key padding: batch b keeps its first keep[b] keys (0 = every key masked). */
  keep?: number[];
  dropout?: { rate: number; seed: number };
  /** Inputs uniform in [-range, range). */
  range?: number;
  seed?: number;
}

interface Run {
  x: { q: Float32Array; k: Float32Array; v: Float32Array; dOut: Float32Array; mask?: Float32Array };
  ref: AttentionRefOptions;
  out: Float32Array;
  lse: Float32Array;
  dq: Float32Array;
  dk: Float32Array;
  dv: Float32Array;
}

function paddingMask(c: Case): Float32Array | undefined {
  if (!c.keep) return undefined;
  const m = new Float32Array(c.B * c.S);
  for (let b = 0; b < c.B; b++) for (let j = 0; j < c.S; j++) m[b * c.S + j] = j < c.keep[b] ? 0 : -Infinity;
  return m;
}

/** Runs attention and its backward on the GPU for a case. */
async function run(c: Case, inputs?: Run['x']): Promise<Run> {
  const n = c.B * c.S * c.H * c.D;
  const r = c.range ?? 1;
  const s = c.seed ?? n;
  const x = inputs ?? { q: uniform(n, s, -r, r), k: uniform(n, s + 1, -r, r), v: uniform(n, s + 2), dOut: uniform(n, s + 3), mask: paddingMask(c) };
  const shape = [c.B, c.S, c.H * c.D];
  const got = await tidy(() => {
    const q = tensor(x.q, shape);
    const k = tensor(x.k, shape);
    const v = tensor(x.v, shape);
    const opts: AttentionOptions = { heads: c.H, mask: x.mask && tensor(x.mask, [c.B, c.S]), dropout: c.dropout };
    const { out, lse } = attention(q, k, v, opts);
    const g = attentionBackward(q, k, v, out, tensor(x.dOut, shape), lse, opts);
    return [out, lse, g.dq, g.dk, g.dv];
  });
  const [out, lse, dq, dk, dv] = (await Promise.all(got.map((t) => t.data()))) as Float32Array[];
  got.forEach((t) => t.dispose());
  return { x, ref: { B: c.B, S: c.S, H: c.H, D: c.D, mask: x.mask, dropout: c.dropout }, out, lse, dq, dk, dv };
}

function label(c: Case): string {
  return `B${c.B} S${c.S} H${c.H} D${c.D}${c.keep ? ' masked' : ''}${c.dropout ? ` dropout ${c.dropout.rate}` : ''}`;
}

function expectParity(r: Run, c: Case, tol: Tolerance = TOL.attention): void {
  const f = attentionRef(r.x.q, r.x.k, r.x.v, r.ref);
  assertClose(r.out, f.out, tol, `out ${label(c)}`);
  assertClose(r.lse, f.lse, tol, `lse ${label(c)}`);
  const g = attentionBackwardRef(r.x.q, r.x.k, r.x.v, r.x.dOut, r.ref);
  assertClose(r.dq, g.dq, tol, `dq ${label(c)}`);
  assertClose(r.dk, g.dk, tol, `dk ${label(c)}`);
  assertClose(r.dv, g.dv, tol, `dv ${label(c)}`);
}

// Shapes: every pipeline the launcher picks (16-dim chunks per head row: 2 for D 20 and 32, 4 for
// 64, 8 for 128; rows per lane 4, 2 and 1), sequence lengths around the 8-key blocks and the
// 32 * R-row workgroups, odd batches, 1 to 12 heads.
const CASES: Case[] = [
  { B: 1, S: 1, H: 1, D: 32 },
  { B: 3, S: 7, H: 2, D: 32, keep: [7, 3, 1] },
  { B: 1, S: 7, H: 12, D: 32, dropout: { rate: 0.1, seed: 3 } },
  { B: 1, S: 127, H: 1, D: 32, dropout: { rate: 0.5, seed: 2 ** 33 + 5 } },
  { B: 3, S: 129, H: 1, D: 20, keep: [129, 64, 9], dropout: { rate: 0.2, seed: 7 } },
  { B: 1, S: 513, H: 1, D: 32, keep: [300] },
  { B: 3, S: 129, H: 2, D: 64, keep: [129, 100, 1] },
  { B: 1, S: 33, H: 2, D: 64, dropout: { rate: 0.3, seed: 11 } },
  { B: 1, S: 127, H: 2, D: 128, keep: [90] },
  { B: 3, S: 9, H: 1, D: 128, dropout: { rate: 0.25, seed: 1 } },
];

describe('attention matches the float64 reference', () => {
  for (const c of CASES) {
    it(label(c), async () => expectParity(await run(c), c));
  }

  it('the portable (no-subgroup) kernels give the same results', async () => {
    attentionTuning.variant = 'portable';
    for (const c of [CASES[1], CASES[4], CASES[7]]) expectParity(await run(c), c);
  });
});

// The hardware class's kernels, forced: every case above, and head dims the vec4 kernels do not
// take (1, 3, TinyBERT's 26, 256, 512: one to sixteen invocations per row, 16 down to 2 streamed
// rows per block), around the blocks' edges.
const FLASH_CASES: Case[] = [
  ...CASES,
  { B: 2, S: 17, H: 3, D: 1, keep: [17, 5] },
  { B: 1, S: 33, H: 2, D: 3, dropout: { rate: 0.2, seed: 9 } },
  { B: 2, S: 65, H: 2, D: 26, keep: [65, 31], dropout: { rate: 0.1, seed: 5 } },
  { B: 1, S: 19, H: 1, D: 256, keep: [13] },
  { B: 1, S: 9, H: 1, D: 512, dropout: { rate: 0.25, seed: 3 } },
];

describe('flash attention (the hardware kernels) matches the float64 reference', () => {
  for (const c of FLASH_CASES) {
    it(label(c), async () => {
      attentionTuning.variant = 'flash';
      expectParity(await run(c), c);
    });
  }
});

describe('attention gradients match central finite differences', () => {
  // Float64 finite differences of the reference attention, independent of any backward formula,
  // checked against the GPU backward and the analytic float64 backward.
  for (const c of [
    { B: 2, S: 5, H: 2, D: 20, keep: [5, 2] },
    { B: 1, S: 6, H: 1, D: 20, keep: [4], dropout: { rate: 0.3, seed: 21 } },
    { B: 2, S: 5, H: 2, D: 20, keep: [5, 2], variant: 'flash' },
    { B: 1, S: 18, H: 1, D: 26, keep: [15], dropout: { rate: 0.3, seed: 21 }, variant: 'flash' },
  ] as (Case & { variant?: 'flash' })[]) {
    it(`${label(c)}${c.variant ? ` (${c.variant})` : ''}`, async () => {
      attentionTuning.variant = c.variant ?? 'auto';
      const r = await run(c);
      const f = (xs: Float64Array[]) => attentionRef(xs[0], xs[1], xs[2], r.ref).out;
      const [dq, dk, dv] = numericVjp(f, [r.x.q, r.x.k, r.x.v], r.x.dOut, 1e-5);
      const tol = { atol: 1e-5, rtol: 1e-3 }; // f32 GPU gradients against O(h^2) differences
      assertClose(r.dq, dq, tol, 'dq vs finite differences');
      assertClose(r.dk, dk, tol, 'dk vs finite differences');
      assertClose(r.dv, dv, tol, 'dv vs finite differences');
      const g = attentionBackwardRef(r.x.q, r.x.k, r.x.v, r.x.dOut, r.ref);
      assertClose(g.dq, dq, { atol: 1e-8, rtol: 1e-6 }, 'float64 reference dq vs finite differences');
      assertClose(g.dk, dk, { atol: 1e-8, rtol: 1e-6 }, 'float64 reference dk vs finite differences');
    });
  }
});

describe('attention edge cases', () => {
  it('backward gives identical bits on every run', async () => {
    const c: Case = { B: 2, S: 45, H: 2, D: 64, keep: [45, 30], dropout: { rate: 0.1, seed: 4 } };
    const a = await run(c);
    const b = await run(c, a.x);
    for (const name of ['out', 'lse', 'dq', 'dk', 'dv'] as const) {
      expect(Buffer.from(a[name].buffer).equals(Buffer.from(b[name].buffer)), name).toBe(true);
    }
  });

  it('logits of +-1000 stay finite and correct', async () => {
    // Scores q.k * scale reach +-1000: exp() sees differences of large numbers, each rounded
    // to ~1000 * 2^-24; the result keeps that absolute error, relative to the output's O(1).
    const c: Case = { B: 1, S: 37, H: 2, D: 32, range: 25, keep: [30] };
    const r = await run(c);
    const f = attentionRef(r.x.q, r.x.k, r.x.v, r.ref);
    let maxScore = 0;
    for (const l of f.lse) maxScore = Math.max(maxScore, Math.abs(l));
    expect(maxScore).toBeGreaterThan(500);
    for (const a of [r.out, r.lse, r.dq, r.dk, r.dv]) expect(a.every(Number.isFinite)).toBe(true);
    expectParity(r, c, { atol: 5e-3, rtol: 1e-3 });
  });

  it('rows whose keys are all masked give out = 0, lse = -Infinity and zero gradients', async () => {
    // Batch 1 masks every key, batch 0 none; -1e30 counts as masked like -Infinity.
    for (const masked of [-Infinity, -1e30]) {
      const c: Case = { B: 2, S: 11, H: 2, D: 32 };
      const n = c.B * c.S * c.H * c.D;
      const mask = new Float32Array(2 * 11);
      mask.fill(masked, 11);
      const r = await run(c, { q: uniform(n, 1), k: uniform(n, 2), v: uniform(n, 3), dOut: uniform(n, 4), mask });
      const half = n / 2;
      for (const a of [r.out, r.dq, r.dk, r.dv]) expect(Array.from(a.subarray(half)).every((x) => x === 0)).toBe(true);
      expect(Array.from(r.lse.subarray(c.H * c.S)).every((x) => x === -Infinity)).toBe(true);
      expectParity(r, c);
    }
  });

  it('NaN in a query propagates to that row only', async () => {
    const c: Case = { B: 1, S: 19, H: 2, D: 32 };
    const n = c.B * c.S * c.H * c.D;
    const q = uniform(n, 5);
    q[(3 * c.H + 1) * c.D + 7] = NaN; // query 3, head 1
    const r = await run(c, { q, k: uniform(n, 6), v: uniform(n, 7), dOut: uniform(n, 8) });
    for (let i = 0; i < c.S; i++) {
      for (let h = 0; h < c.H; h++) {
        const row = r.out.subarray((i * c.H + h) * c.D, (i * c.H + h + 1) * c.D);
        expect(row.every(Number.isNaN), `row ${i} head ${h}`).toBe(i === 3 && h === 1);
        expect(row.some(Number.isNaN), `row ${i} head ${h}`).toBe(i === 3 && h === 1);
      }
    }
    expect(Number.isNaN(r.lse[1 * c.S + 3])).toBe(true);
    // The backward sees the NaN row in every key's gradient of that head (dk_j sums over queries).
    expect(Number.isNaN(r.dk[(0 * c.H + 1) * c.D])).toBe(true);
    expect(Number.isFinite(r.dk[0])).toBe(true);
  });

  it('dropout: same seed same bits, another seed another mask, rate 0 is no dropout', async () => {
    const base: Case = { B: 1, S: 24, H: 2, D: 32 };
    const a = await run({ ...base, dropout: { rate: 0.4, seed: 8 } });
    const b = await run({ ...base, dropout: { rate: 0.4, seed: 8 } }, a.x);
    const c = await run({ ...base, dropout: { rate: 0.4, seed: 9 } }, a.x);
    const none = await run(base, a.x);
    const zero = await run({ ...base, dropout: { rate: 0, seed: 8 } }, a.x);
    expect(Buffer.from(a.out.buffer).equals(Buffer.from(b.out.buffer))).toBe(true);
    expect(Buffer.from(a.out.buffer).equals(Buffer.from(c.out.buffer))).toBe(false);
    expect(Buffer.from(zero.out.buffer).equals(Buffer.from(none.out.buffer))).toBe(true);
    expect(Buffer.from(a.lse.buffer).equals(Buffer.from(none.lse.buffer))).toBe(true); // lse is undropped
  });

  it('the forward kernel binds only the buffers it uses', () => {
    const names = new Kernel({ shader: 'attention', entry: 'forward' }).layout().bindings.map((b) => b.name);
    expect(names).toEqual(['p', 'q', 'k', 'v', 'mask', 'o', 'lse']);
  });
});

describe('paddingMaskToAdditive', () => {
  it('maps 1 (real token) to 0 and 0 (padding) to -Infinity for i32, u32 and f32', async () => {
    const bits = [1, 1, 0, 1, 0, 0];
    for (const host of [Int32Array.from(bits), Uint32Array.from(bits), Float32Array.from(bits)]) {
      const got = await tidy(() => paddingMaskToAdditive(tensor(host, [2, 3]))).data();
      expect(Array.from(got)).toEqual(bits.map((b) => (b ? 0 : -Infinity)));
    }
  });

  it('gives the mask attention expects', async () => {
    const c: Case = { B: 2, S: 10, H: 1, D: 32 };
    const keepMask = Int32Array.from({ length: 20 }, (_, i) => (i % 10 < 6 + (i < 10 ? 4 : 0) ? 1 : 0));
    const additive = await tidy(() => paddingMaskToAdditive(tensor(keepMask, [2, 10]))).data();
    const n = c.B * c.S * c.D;
    const res = await run(c, { q: uniform(n, 1), k: uniform(n, 2), v: uniform(n, 3), dOut: uniform(n, 4), mask: Float32Array.from(additive) });
    expectParity(res, c);
  });
});

describe('attention argument errors', () => {
  const t = (shape: number[]) => tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  it('names the op, the shapes and what was expected', () => {
    const q = t([2, 5, 64]);
    expect(() => attention(q, q, q, { heads: 3 })).toThrow('attention: hidden size 64 of [2, 5, 64] is not divisible by 3 heads');
    expect(() => attention(t([1, 4, 132]), t([1, 4, 132]), t([1, 4, 132]), { heads: 1 })).toThrow('attention: head dim 132 (hidden 132 / 1 heads) must be a multiple of 4 and at most 128');
    expect(() => attention(t([1, 4, 12]), t([1, 4, 12]), t([1, 4, 12]), { heads: 2 })).toThrow('head dim 6 (hidden 12 / 2 heads) must be a multiple of 4');
    expect(() => attention(q, t([2, 6, 64]), q, { heads: 2 })).toThrow('attention: q, k and v must have the same shape (batch, seq, hidden), got [2, 5, 64], [2, 6, 64] and [2, 5, 64]');
    expect(() => attention(q, q, q, { heads: 2, mask: t([2, 6]) })).toThrow('attention: mask must be (batch, seq) = [2, 5] additive f32, got [2, 6]');
    expect(() => attention(t([10, 64]), t([10, 64]), t([10, 64]), { heads: 2 })).toThrow('attention: q must be (batch, seq, hidden), got [10, 64]');
    expect(() => attention(q, q, q, { heads: 2, dropout: { rate: 1, seed: 0 } })).toThrow('attention: dropout rate must be in [0, 1), got 1');
    expect(() => attentionBackward(q, q, q, q, q, t([2, 2, 6]), { heads: 2 })).toThrow('attentionBackward: lse must be (batch, heads, seq) = [2, 2, 5], got [2, 2, 6]');
    expect(() => attentionBackward(q, q, q, q, t([2, 5, 32]), t([2, 2, 5]), { heads: 2 })).toThrow("attentionBackward: dOut must have q's shape [2, 5, 64], got [2, 5, 32]");
    expect(() => paddingMaskToAdditive(t([2, 3, 1]))).toThrow('paddingMaskToAdditive: expected a (batch, seq) mask, got [2, 3, 1]');
  });
});
