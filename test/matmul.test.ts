import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidy, ops, engine, type Tensor } from '../src/node.ts';
import { f16BitsToF32, f32ToF16Bits } from '../src/gpu/dtype.ts';
import { matmulConfig, type MatmulOptions, type MatmulVariant } from '../src/kernels/matmul.ts';
import { geluRef, geluTanhRef, matmulRef, sumRowsRef, type MatmulRefOptions } from './reference/matmul.ts';
import { numericVjp } from './util/gradcheck.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { TOL, assertClose, f16Stored, matmulTolerance, mismatchReport } from './util/tolerance.ts';

beforeAll(gpu);

const size = (shape: number[]) => shape.reduce((x, y) => x * y, 1);
let seed = 1;

/** Matmul options where bias/residual just ask for random ones of the right shape. */
type CaseOpts = Omit<MatmulOptions, 'bias' | 'residual'> & { bias?: boolean; residual?: boolean };

interface Case {
  a: number[];
  b: number[];
  opts?: CaseOpts;
  label?: string;
}

/** Runs one matmul on random inputs in [-1, 1) and checks it against the float64 reference. */
async function check({ a: aShape, b: bShape, opts = {}, label = '' }: Case): Promise<void> {
  const A = uniform(size(aShape), seed++);
  const B = uniform(size(bShape), seed++);
  const ref0 = matmulRef(A, aShape, B, bShape, { transA: opts.transA, transB: opts.transB });
  const N = ref0.shape[ref0.shape.length - 1];
  const bias = opts.bias ? uniform(N, seed++) : undefined;
  const residual = opts.residual ? uniform(ref0.out.length, seed++) : undefined;
  const refOpts: MatmulRefOptions = { transA: opts.transA, transB: opts.transB, bias, residual, activation: opts.activation };
  const ref = matmulRef(A, aShape, B, bShape, refOpts);
  const { out, pre } = await tidy(() => {
    const o = { ...opts, bias: bias && tensor(bias), residual: residual && tensor(residual, ref.shape) } as MatmulOptions;
    const r = ops.matmul(tensor(A, aShape), tensor(B, bShape), o);
    return 'out' in r ? r : { out: r, pre: null as Tensor | null };
  }) as { out: Tensor; pre: Tensor | null };
  expect(out.shape).toEqual(ref.shape);
  const tol = matmulTolerance(ref.K, ref.absSum + (bias ? 1 : 0) + (residual ? 1 : 0));
  const name = `${label} a ${JSON.stringify(aShape)} b ${JSON.stringify(bShape)} ${JSON.stringify(opts)}`;
  assertClose(await out.data(), ref.out, tol, name);
  if (pre) assertClose(await pre.data(), ref.pre, tol, `${name} (pre)`);
  out.dispose();
  pre?.dispose();
}

const TRANS = [[false, false], [false, true], [true, false], [true, true]] as const;
const stored = (rows: number, cols: number, trans: boolean) => (trans ? [cols, rows] : [rows, cols]);

// Awkward (M, N, K): none a multiple of the sg (16 x 24, 32 x 16) or tiled (32, 64) tiles; odd sizes (the
// unaligned vec4 path) with a 513 in every position, vectors, and multiples of 4 (the aligned path).
const SHAPES: [number, number, number][] = [
  [7, 129, 127], [129, 7, 513], [127, 513, 7], [513, 1, 129], [1, 127, 513], [3, 129, 7], [129, 127, 1],
  [36, 132, 516], [132, 36, 68], [4, 516, 132],
];

// Every kernel the dispatcher can pick on some adapter, forced; split-K over each. Each distinct
// (transposes, alignment, epilogue) set is a pipeline that a CPU driver compiles in ~1 s, so the
// kernels this adapter does not use by default, and the split variants (whose inner loop is the
// same code), run a subset of the shapes: one odd and one aligned per layout.
const FEW = [0, 1, 7, 9];
const VARIANTS: { variant: MatmulVariant; splitK?: number; shapes?: number[]; needs?: 'sg' }[] = [
  { variant: 'sg', needs: 'sg' },
  { variant: 'sg', splitK: 3, shapes: FEW, needs: 'sg' },
  { variant: 'tiled', shapes: [...FEW, 2] },
  { variant: 'tiled', splitK: 4, shapes: FEW },
  { variant: 'gemv', shapes: [4, 5, 9] },
  { variant: 'gemv', splitK: 5, shapes: [4, 9] },
];

const hasSg = () => matmulConfig(engine()).subgroup > 0;

describe('matmul matches float64 at awkward shapes', () => {
  for (const v of VARIANTS) {
    it(`${v.variant}${v.splitK ? ` split-K ${v.splitK}` : ''}: every transA/transB`, async (ctx) => {
      if (v.needs === 'sg' && !hasSg()) ctx.skip();
      for (const [M, N, K] of v.shapes?.map((i) => SHAPES[i]) ?? SHAPES) {
        for (const [transA, transB] of TRANS) {
          await check({ a: stored(M, K, transA), b: stored(K, N, transB), opts: { transA, transB, variant: v.variant, splitK: v.splitK } });
        }
      }
    });
  }

  it('auto picks a kernel for every shape (small M, long K, tiny output)', async () => {
    for (const [M, N, K] of [...SHAPES, [2, 3, 4100], [64, 64, 4096], [1, 1, 1]] as [number, number, number][]) {
      for (const [transA, transB] of TRANS) {
        await check({ a: stored(M, K, transA), b: stored(K, N, transB), opts: { transA, transB } });
      }
    }
  });

  it('K = 0 gives the epilogue of 0', async () => {
    await check({ a: [2, 0], b: [0, 5] });
    await check({ a: [6, 0], b: [0, 5], opts: { bias: true, activation: 'gelu', residual: true } });
  });
});

describe('the tiled kernel with each kernel class\'s tiles', () => {
  // The hardware class's 64 x 64 tiles of 8 x 4 blocks and the portable class's 64 x 64 of 8 x 8,
  // forced on this adapter: every layout at the awkward shapes, split-K, the epilogue, a batch.
  for (const cls of ['hardware', 'portable'] as const) {
    it(cls, async () => {
      engine().useKernels(cls);
      try {
        for (const [M, N, K] of SHAPES) {
          for (const [transA, transB] of TRANS) {
            await check({ a: stored(M, K, transA), b: stored(K, N, transB), opts: { transA, transB, variant: 'tiled' }, label: cls });
          }
        }
        await check({ a: [37, 2100], b: [2100, 44], opts: { splitK: 3, variant: 'tiled' }, label: cls });
        await check({ a: [65, 36], b: [65, 43], opts: { variant: 'tiled', transA: true, bias: true, activation: 'gelu', residual: true, savePreActivation: true }, label: cls });
        await check({ a: [3, 1, 5, 127], b: [2, 9, 127], opts: { transB: true, variant: 'tiled' }, label: cls });
        await check({ a: [2, 68], b: [68, 43], label: `${cls} auto (gemv)` });
      } finally {
        engine().useKernels('auto');
      }
    });
  }
});

describe('f16 operands (halves unpacked to f32 as they load)', () => {
  const halves = (x: Float32Array) => Uint16Array.from(x, f32ToF16Bits);
  const decoded = (h: Uint16Array) => Float64Array.from(h, f16BitsToF32);

  /** One product with a and/or b stored in f16: against float64 on the f16 values, and on the unrounded f32 values. */
  async function checkF16(M: number, N: number, K: number, o: { transA?: boolean; transB?: boolean; aF16: boolean; bF16: boolean; variant?: MatmulVariant; splitK?: number; bias?: boolean }) {
    const aShape = stored(M, K, !!o.transA);
    const bShape = stored(K, N, !!o.transB);
    const A = uniform(M * K, seed++);
    const B = uniform(K * N, seed++);
    const Ah = halves(A);
    const Bh = halves(B);
    const bias = o.bias ? uniform(N, seed++) : undefined;
    const a16 = o.aF16 ? decoded(Ah) : A;
    const b16 = o.bF16 ? decoded(Bh) : B;
    const opts = { transA: o.transA, transB: o.transB, variant: o.variant, splitK: o.splitK };
    const got = await tidy(() => ops.matmul(
      o.aF16 ? tensor(Ah, aShape, 'f16') : tensor(A, aShape),
      o.bF16 ? tensor(Bh, bShape, 'f16') : tensor(B, bShape),
      { ...opts, bias: bias && tensor(bias) },
    )).data();
    const name = `${M}x${K} @ ${K}x${N} ${JSON.stringify(o)}`;
    // 1. The inputs as the kernel sees them (f16 values): a product of two halves is exact in f32,
    //    so the only error is the f32 accumulation, bounded as for f32 operands.
    const exact = matmulRef(a16, aShape, b16, bShape, { transA: o.transA, transB: o.transB, bias });
    assertClose(got, exact.out, matmulTolerance(K, exact.absSum + (bias ? 1 : 0)), `${name} (f16 values)`);
    // 2. Against the unrounded f32 inputs: each rounded input is within u = 2^-11 relative (normal
    //    halves) or 2^-25 absolute (subnormals, |x| < 2^-14) of its f32 value, so each product
    //    |a b| in [-1, 1) moves by at most (2u + u^2) |a b| + 2^-24; summed over K, plus the f32 bound.
    const f32ref = matmulRef(A, aShape, B, bShape, { transA: o.transA, transB: o.transB, bias });
    const u = 2 ** -11;
    const f16Bound = { atol: (2 * u + u * u) * f32ref.absSum + K * 2 ** -24 + matmulTolerance(K, f32ref.absSum + 1).atol, rtol: 2e-6 };
    assertClose(got, f32ref.out, f16Bound, `${name} (f32 values, f16 rounding bound)`);
  }

  const SHAPES16: [number, number, number][] = [[7, 129, 127], [129, 7, 33], [36, 132, 68], [3, 65, 129], [1, 127, 513]];
  const variants = (): { variant?: MatmulVariant; splitK?: number }[] => [
    ...(hasSg() ? [{ variant: 'sg' as const }] : []), { variant: 'tiled' }, { splitK: 3 },
  ];
  // Each (variant, layout, alignment, dtypes) is a pipeline a CPU driver compiles in ~1 s: both
  // operands in f16 at every layout and shape, one of them in f16 at two layouts.
  it('every variant and layout, a, b or both in f16', async () => {
    for (const v of variants()) {
      for (const [M, N, K] of SHAPES16) {
        for (const [transA, transB] of TRANS) await checkF16(M, N, K, { transA, transB, aF16: true, bF16: true, ...v });
      }
      await checkF16(7, 129, 127, { aF16: true, bF16: false, ...v });
      await checkF16(36, 132, 68, { transB: true, aF16: false, bF16: true, ...v });
    }
    for (const [transA, transB] of TRANS) await checkF16(3, 133, 70, { transA, transB, aF16: true, bF16: true, variant: 'gemv', bias: true });
  });

  it('the hardware and portable tiles with f16 weights', async () => {
    for (const cls of ['hardware', 'portable'] as const) {
      engine().useKernels(cls);
      try {
        for (const [M, N, K] of SHAPES16) await checkF16(M, N, K, { transB: true, aF16: false, bF16: true, bias: true });
        await checkF16(37, 44, 2100, { aF16: true, bF16: true, splitK: 3 });
      } finally {
        engine().useKernels('auto');
      }
    }
  });

  it('the f32 values rounding bound can fail: an f32 product is far tighter than f16 rounding allows', async () => {
    // If the kernel quietly read f32 (or the test fed it unrounded values) the error against the
    // f32 reference would sit at f32 accumulation level; here it must show f16 rounding.
    const [M, N, K] = [64, 64, 256];
    const A = uniform(M * K, 901);
    const B = uniform(K * N, 902);
    const got = await ops.matmul(tensor(halves(A), [M, K], 'f16'), tensor(halves(B), [K, N], 'f16')).data();
    const ref = matmulRef(A, [M, K], B, [K, N]);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref.out[i]));
    expect(worst).toBeGreaterThan(matmulTolerance(K, 1).atol * 10);
    expect(worst).toBeLessThan((2 * 2 ** -11 + 2 ** -22) * ref.absSum + K * 2 ** -24 + matmulTolerance(K, ref.absSum).atol);
  });

  it('names the dtype it takes', () => {
    expect(() => ops.matmul(tensor(new Int32Array(6), [2, 3]), tensor(new Float32Array(12), [3, 4]))).toThrow('matmul: expected f32 or f16 input, got i32 [2, 3]');
  });
});

describe('f16 outputs (f32 accumulation, rounded once as stored; needs shader-f16)', () => {
  const halves = (x: Float32Array) => Uint16Array.from(x, f32ToF16Bits);
  const decoded = (h: Uint16Array) => Float64Array.from(h, f16BitsToF32);

  it('this adapter offers shader-f16, so the f16 variants are tested here', () => {
    expect(engine().hasF16).toBe(true);
  });

  /** f16 a, f32 b (a mixed-precision linear layer), out/pre/residual in f16, against float64 on the values the kernel sees. */
  async function checkOut(M: number, N: number, K: number, o: { transA?: boolean; transB?: boolean; variant?: MatmulVariant; splitK?: number; epilogue?: boolean }) {
    const aShape = stored(M, K, !!o.transA);
    const bShape = stored(K, N, !!o.transB);
    const Ah = halves(uniform(M * K, seed++));
    const B = uniform(K * N, seed++);
    const bias = o.epilogue ? uniform(N, seed++) : undefined;
    const Rh = o.epilogue ? halves(uniform(M * N, seed++)) : undefined;
    const got = tidy(() => ops.matmul(tensor(Ah, aShape, 'f16'), tensor(B, bShape), {
      transA: o.transA, transB: o.transB, variant: o.variant, splitK: o.splitK, outDType: 'f16',
      ...(o.epilogue ? { bias: tensor(bias!), residual: tensor(Rh!, [M, N], 'f16'), activation: 'gelu' as const, savePreActivation: true as const } : {}),
    }));
    const pre = o.epilogue ? (got as unknown as { pre: Tensor }).pre : null;
    const out = o.epilogue ? (got as unknown as { out: Tensor }).out : (got as Tensor);
    expect(out.dtype).toBe('f16');
    const ref = matmulRef(decoded(Ah), aShape, B, bShape, { transA: o.transA, transB: o.transB, bias, ...(o.epilogue ? { activation: 'gelu' as const, residual: decoded(Rh!) } : {}) });
    const name = `${M}x${K} @ ${K}x${N} ${JSON.stringify(o)}`;
    // The f32 bound of the product (and epilogue), then one rounding to f16 on store.
    const tol = f16Stored(matmulTolerance(K, ref.absSum + (bias ? 2 : 0)));
    assertClose(await out.data(), ref.out, tol, `${name} out`);
    if (pre) assertClose(await pre.data(), ref.pre, tol, `${name} pre`);
    out.dispose();
    pre?.dispose();
  }

  const SHAPES: [number, number, number][] = [[7, 129, 127], [129, 7, 33], [1, 127, 513], [37, 44, 65]];
  it('every variant, layout and the fused epilogue', async () => {
    const variants: { variant?: MatmulVariant; splitK?: number }[] = [...(hasSg() ? [{ variant: 'sg' as const }] : []), { variant: 'tiled' }, { splitK: 3 }];
    for (const v of variants) {
      // Every layout at one shape, the linear-layer layout (transB) at the rest: each (variant,
      // layout, alignment) is a pipeline a CPU driver compiles in ~1 s.
      for (const [transA, transB] of TRANS) await checkOut(...SHAPES[0], { transA, transB, ...v });
      for (const shape of SHAPES.slice(1)) await checkOut(...shape, { transB: true, ...v });
      await checkOut(37, 44, 65, { transB: true, epilogue: true, ...v });
    }
    await checkOut(3, 133, 70, { transB: true, variant: 'gemv', epilogue: true });
    for (const cls of ['hardware', 'portable'] as const) {
      engine().useKernels(cls);
      try {
        await checkOut(129, 7, 33, { transB: true, epilogue: true });
        await checkOut(37, 44, 2100, { splitK: 3 });
      } finally {
        engine().useKernels('auto');
      }
    }
  });

  it('the f16 rounding is visible: the result is not within the f32 bound', async () => {
    const [M, N, K] = [64, 64, 64];
    const Ah = halves(uniform(M * K, 911));
    const B = uniform(K * N, 912);
    const got = await ops.matmul(tensor(Ah, [M, K], 'f16'), tensor(B, [K, N]), { outDType: 'f16' }).data();
    const ref = matmulRef(decoded(Ah), [M, K], B, [K, N]);
    expect(mismatchReport(got, ref.out, matmulTolerance(K, ref.absSum))).not.toBeNull();
  });

  it('sumRows reads f16 and sums in f32', async () => {
    for (const [rows, N] of [[1, 7], [129, 127], [513, 9]]) {
      const Xh = halves(uniform(rows * N, seed++));
      const got = await ops.sumRows(tensor(Xh, [rows, N], 'f16')).data();
      assertClose(got, sumRowsRef(decoded(Xh), N), { atol: 4 * Math.sqrt(rows) * 2 ** -24 * rows + 1e-7, rtol: 1e-6 }, `sumRows ${rows}x${N}`);
    }
  });

  it('names a residual of the wrong float type', () => {
    expect(() => ops.matmul(tensor(halves(new Float32Array(6)), [2, 3], 'f16'), tensor(new Float32Array(12), [3, 4]), { outDType: 'f16', residual: tensor(new Float32Array(8), [2, 4]) }))
      .toThrow('matmul: expected f16 input, got f32 [2, 4]');
  });
});

describe('batched matmul with broadcasting', () => {
  const cases: Case[] = [
    { a: [3, 7, 129], b: [129, 127], label: 'rank-2 weight (folded into M)' },
    { a: [3, 129, 7], b: [129, 33], opts: { transA: true }, label: 'transposed a with a shared weight' },
    { a: [7, 127], b: [3, 127, 9], label: 'a broadcast over b' },
    { a: [3, 1, 5, 127], b: [2, 127, 9], label: 'both broadcast' },
    { a: [3, 1, 5, 127], b: [2, 9, 127], opts: { transB: true }, label: 'both broadcast, transB' },
    { a: [2, 3, 1, 4, 7, 6], b: [3, 5, 1, 6, 9], label: 'four batch dims' },
    { a: [3, 1, 129], b: [3, 129, 7], label: 'batched vector' },
  ];
  for (const variant of ['auto', 'tiled'] as const) {
    it(`${variant}: ${cases.length} batch layouts`, async () => {
      for (const c of cases) await check({ ...c, opts: { ...c.opts, variant } });
      await check({ ...cases[3], opts: { variant, splitK: 2 } });
    });
  }
});

describe('fused epilogue', () => {
  const EPILOGUES: CaseOpts[] = [
    { bias: true },
    { activation: 'gelu' },
    { activation: 'gelu_tanh' },
    { residual: true },
    { bias: true, activation: 'gelu', residual: true, savePreActivation: true },
    { bias: true, activation: 'gelu_tanh', savePreActivation: true },
  ];
  // Every epilogue on the main kernel; on the other paths (their own store code) the two that
  // between them touch every epilogue step. Shapes keep one dim aligned and one odd.
  const PATHS: { name: string; opts: CaseOpts; a: number[]; b: number[]; all?: boolean; needs?: 'sg' }[] = [
    { name: 'sg', opts: { variant: 'sg' }, a: [2, 37, 68], b: [68, 43], all: true, needs: 'sg' },
    { name: 'sg, small M (exchanged operands)', opts: { variant: 'sg', transB: true }, a: [3, 65], b: [44, 65], needs: 'sg' },
    { name: 'split-K reduce', opts: { splitK: 3 }, a: [37, 65], b: [65, 44], all: true },
    { name: 'tiled', opts: { variant: 'tiled', transA: true }, a: [65, 36], b: [65, 43] },
    { name: 'gemv', opts: { variant: 'gemv' }, a: [2, 68], b: [68, 43] },
  ];
  for (const path of PATHS) {
    it(path.name, async (ctx) => {
      if (path.needs === 'sg' && !hasSg()) ctx.skip();
      for (const e of path.all ? EPILOGUES : EPILOGUES.slice(-2)) await check({ a: path.a, b: path.b, opts: { ...path.opts, ...e } });
    });
  }

  it('GELU (erf) is within 2e-7 of float64 over [-12, 12], and the tanh form within its ULPs', async () => {
    const n = 4001;
    const x = Float32Array.from({ length: n }, (_, i) => -12 + (24 * i) / (n - 1));
    for (const [activation, ref, tol] of [
      ['gelu', geluRef, { atol: 2e-7, rtol: 1e-6 }],
      ['gelu_tanh', geluTanhRef, { atol: 2e-7, rtol: 1e-6 }],
    ] as const) {
      // x (n, 1) @ [[1]] = x exactly, so the output is the activation of x.
      const y = ops.matmul(tensor(x, [n, 1]), tensor([1], [1, 1]), { activation });
      assertClose(await y.data(), Array.from(x, ref), tol, activation);
      y.dispose();
    }
  });
});

describe('edge cases', () => {
  it('NaN in a or b propagates to exactly its row or column', async () => {
    for (const opts of [{ variant: 'auto' }, { splitK: 3 }, { variant: 'tiled' }, { transA: true, transB: true }] as MatmulOptions[]) {
      const [M, N, K] = [37, 41, 67];
      const A = uniform(M * K, 5);
      const B = uniform(K * N, 6);
      A[(opts.transA ? 9 * M + 5 : 5 * K + 9)] = NaN; // a[5][9]: row 5 of the output
      B[(opts.transB ? 7 * K + 20 : 20 * N + 7)] = NaN; // b[20][7]: column 7
      const y = await ops.matmul(tensor(A, stored(M, K, !!opts.transA)), tensor(B, stored(K, N, !!opts.transB)), { ...opts, activation: 'gelu' }).data();
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          expect(Number.isNaN(y[m * N + n]), `(${m}, ${n}) ${JSON.stringify(opts)}`).toBe(m === 5 || n === 7);
        }
      }
    }
  });

  it('names the op and both shapes on bad arguments', () => {
    const t = (shape: number[]) => tensor(new Float32Array(size(shape)), shape);
    expect(() => ops.matmul(t([2, 3]), t([4, 5]))).toThrow('matmul: inner dimensions differ: a [2, 3] has K = 3, b [4, 5] has K = 4');
    expect(() => ops.matmul(t([2, 3]), t([5, 4]), { transB: true })).toThrow('a [2, 3] has K = 3, b (transposed) [5, 4] has K = 4');
    expect(() => ops.matmul(t([3]), t([3, 4]))).toThrow('matmul: needs a and b of rank >= 2, got a [3] and b [3, 4]');
    expect(() => ops.matmul(t([2, 2, 3]), t([3, 3, 4]))).toThrow('matmul: shapes [2] and [3] do not broadcast');
    expect(() => ops.matmul(t([2, 3]), t([3, 4]), { bias: t([3]) })).toThrow('matmul: bias [3] must have shape [4]');
    expect(() => ops.matmul(t([2, 3]), t([3, 4]), { residual: t([4, 2]) })).toThrow('matmul: residual [4, 2] must have the output\'s shape [2, 4]');
    expect(() => ops.matmul(t([2, 3]), t([3, 4]), { savePreActivation: true })).toThrow('savePreActivation needs an activation');
    expect(() => ops.matmul(t([8, 3]), t([3, 4]), { variant: 'gemv' })).toThrow("variant 'gemv' handles M <= 4");
    expect(() => ops.matmul(tensor(new Int32Array(6), [2, 3]), t([3, 4]))).toThrow('matmul: expected f32 or f16 input, got i32 [2, 3]');
  });

  it('is deterministic: identical bits on every run, split-K included', async () => {
    const A = uniform(67 * 2049, 11);
    const B = uniform(2049 * 19, 12);
    for (const opts of [{}, { splitK: 7 }, { variant: 'tiled', splitK: 5 }] as MatmulOptions[]) {
      const run = async () => new Uint32Array((await ops.matmul(tensor(A, [67, 2049]), tensor(B, [2049, 19]), opts).data()).buffer);
      expect(await run()).toEqual(await run());
    }
    const dy = uniform(3000 * 7, 13);
    const sums = async () => new Uint32Array((await ops.sumRows(tensor(dy, [3000, 7])).data()).buffer);
    expect(await sums()).toEqual(await sums());
  });
});

describe('sumRows', () => {
  it('matches float64 column sums', async () => {
    for (const shape of [[1], [1, 1], [7, 129], [3, 513, 7], [5000, 3], [129, 1027]]) {
      const x = uniform(size(shape), size(shape));
      const N = shape[shape.length - 1];
      const got = await ops.sumRows(tensor(x, shape)).data();
      const rows = size(shape) / N;
      assertClose(got, sumRowsRef(x, N), { atol: 4 * Math.sqrt(rows) * 2 ** -24 * rows + 1e-7, rtol: 1e-6 }, JSON.stringify(shape));
    }
  });
});

describe('backward by composition matches central differences in float64', () => {
  // out = a @ b + bias + residual. For each storage layout of the forward, the gradients are two
  // more matmuls with transposes and sumRows, exactly as the autograd will compose them.
  const [M, K, N] = [5, 6, 4];
  for (const [transA, transB] of TRANS) {
    it(`transA ${transA}, transB ${transB}`, async () => {
      const aShape = stored(M, K, transA);
      const bShape = stored(K, N, transB);
      const A = uniform(M * K, 21);
      const B = uniform(K * N, 22);
      const bias = uniform(N, 23);
      const res = uniform(M * N, 24);
      const dY = uniform(M * N, 25);
      const f = ([a, b, c, r]: Float64Array[]) => matmulRef(a, aShape, b, bShape, { transA, transB, bias: c, residual: r }).out;
      const [dA, dB, dBias, dRes] = numericVjp(f, [A, B, bias, res], dY);
      const a = tensor(A, aShape);
      const b = tensor(B, bShape);
      const dy = tensor(dY, [M, N]);
      // dA (as stored): a (M, K) -> dY @ B^T; a stored (K, M) -> B @ dY^T.
      const gA = transA
        ? ops.matmul(b, dy, { transA: transB, transB: true })
        : ops.matmul(dy, b, { transB: !transB });
      // dB (as stored): b (K, N) -> A^T @ dY; b stored (N, K) -> dY^T @ A.
      const gB = transB
        ? ops.matmul(dy, a, { transA: true, transB: transA })
        : ops.matmul(a, dy, { transA: !transA });
      const gBias = ops.sumRows(dy);
      expect(gA.shape).toEqual(aShape);
      expect(gB.shape).toEqual(bShape);
      const tol = { atol: 1e-6, rtol: 1e-5 };
      assertClose(await gA.data(), dA, tol, 'dA');
      assertClose(await gB.data(), dB, tol, 'dB');
      assertClose(await gBias.data(), dBias, tol, 'dbias');
      assertClose(dY, dRes, TOL.reduction, 'dresidual is dY');
    });
  }
});
