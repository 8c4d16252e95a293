// Kernel parity checks that run anywhere (Node, a browser page, gpu-check on a lent GPU): every
// kernel class this adapter can run, forced in turn, against the float64 references of the Node
// tests. Matmul at awkward shapes with every transpose, the fused epilogue, split-K and a batch;
// attention forward and backward with padding and dropout, its gradients also against central
// finite differences; the flash kernels at head dims only they take; with shader-f16, the f16
// variants of matmul, layerNorm and attention (the f16Stored bound of test/f16.test.ts). Each
// check reports the mismatch (null when within the tolerance the Node tests use).
import { engine, ops, tensor, tidy, type KernelClass, type Tensor } from '../../src/index.ts';
import { attention, attentionBackward, attentionTuning } from '../../src/kernels/attention.ts';
import { layerNorm } from '../../src/kernels/layernorm.ts';
import { attentionBackwardRef, attentionRef, type AttentionRefOptions } from '../reference/attention.ts';
import { layerNormRef } from '../reference/layernorm.ts';
import { matmulRef } from '../reference/matmul.ts';
import { numericVjp } from './gradcheck.ts';
import { uniform, uniformHalves } from './random.ts';
import { TOL, f16Stored, matmulTolerance, mismatchReport } from './tolerance.ts';

export interface KernelCheck { cls: KernelClass; name: string; report: string | null; skipped?: string }

const checks: KernelCheck[] = [];
let seed = 1;

async function checkMatmul(cls: KernelClass, aShape: number[], bShape: number[], opts: { transA?: boolean; transB?: boolean; bias?: boolean; residual?: boolean; activation?: 'gelu'; splitK?: number } = {}) {
  const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
  const A = uniform(size(aShape), seed++);
  const B = uniform(size(bShape), seed++);
  const shape0 = matmulRef(A, aShape, B, bShape, { transA: opts.transA, transB: opts.transB });
  const N = shape0.shape.at(-1)!;
  const bias = opts.bias ? uniform(N, seed++) : undefined;
  const residual = opts.residual ? uniform(shape0.out.length, seed++) : undefined;
  const ref = matmulRef(A, aShape, B, bShape, { transA: opts.transA, transB: opts.transB, bias, residual, activation: opts.activation });
  const y = tidy(() => ops.matmul(tensor(A, aShape), tensor(B, bShape), {
    transA: opts.transA, transB: opts.transB, activation: opts.activation, splitK: opts.splitK,
    bias: bias && tensor(bias), residual: residual && tensor(residual, ref.shape),
  }) as Tensor);
  const got = await y.data();
  y.dispose();
  const tol = matmulTolerance(ref.K, ref.absSum + (bias ? 1 : 0) + (residual ? 1 : 0));
  checks.push({ cls, name: `matmul a ${JSON.stringify(aShape)} b ${JSON.stringify(bShape)} ${JSON.stringify(opts)}`, report: mismatchReport(got, ref.out, tol) });
}

interface AttnCase { B: number; S: number; H: number; D: number; keep?: number[]; dropout?: { rate: number; seed: number } }

async function runAttention(c: AttnCase) {
  const n = c.B * c.S * c.H * c.D;
  const s = seed++ * 97;
  const x = { q: uniform(n, s), k: uniform(n, s + 1), v: uniform(n, s + 2), dOut: uniform(n, s + 3) };
  let mask: Float32Array | undefined;
  if (c.keep) {
    mask = new Float32Array(c.B * c.S);
    for (let b = 0; b < c.B; b++) for (let j = 0; j < c.S; j++) mask[b * c.S + j] = j < c.keep[b] ? 0 : -Infinity;
  }
  const shape = [c.B, c.S, c.H * c.D];
  const ts = tidy(() => {
    const q = tensor(x.q, shape);
    const k = tensor(x.k, shape);
    const v = tensor(x.v, shape);
    const opts = { heads: c.H, mask: mask && tensor(mask, [c.B, c.S]), dropout: c.dropout };
    const { out, lse } = attention(q, k, v, opts);
    const g = attentionBackward(q, k, v, out, tensor(x.dOut, shape), lse, opts);
    return [out, lse, g.dq, g.dk, g.dv];
  });
  const [out, lse, dq, dk, dv] = (await Promise.all(ts.map((t) => t.data()))) as Float32Array[];
  ts.forEach((t) => t.dispose());
  const ref: AttentionRefOptions = { B: c.B, S: c.S, H: c.H, D: c.D, mask, dropout: c.dropout };
  return { x, ref, out, lse, dq, dk, dv };
}

async function checkAttention(cls: KernelClass, c: AttnCase, finiteDifferences = false) {
  const r = await runAttention(c);
  const f = attentionRef(r.x.q, r.x.k, r.x.v, r.ref);
  const g = attentionBackwardRef(r.x.q, r.x.k, r.x.v, r.x.dOut, r.ref);
  const label = `attention ${JSON.stringify(c)}`;
  const parts: [string, Float32Array, ArrayLike<number>][] = [['out', r.out, f.out], ['lse', r.lse, f.lse], ['dq', r.dq, g.dq], ['dk', r.dk, g.dk], ['dv', r.dv, g.dv]];
  const reports = parts.map(([name, got, want]) => {
    const m = mismatchReport(got, want, TOL.attention);
    return m && `${name}: ${m}`;
  }).filter(Boolean);
  checks.push({ cls, name: label, report: reports.length ? reports.join('\n') : null });
  if (finiteDifferences) {
    const fd = numericVjp((xs) => attentionRef(xs[0], xs[1], xs[2], r.ref).out, [r.x.q, r.x.k, r.x.v], r.x.dOut, 1e-5);
    const tol = { atol: 1e-5, rtol: 1e-3 }; // f32 GPU gradients against O(h^2) differences, as in test/attention.test.ts
    const fdReports = [['dq', r.dq, fd[0]], ['dk', r.dk, fd[1]], ['dv', r.dv, fd[2]]].map(([name, got, want]) => {
      const m = mismatchReport(got as Float32Array, want as Float64Array, tol);
      return m && `${name}: ${m}`;
    }).filter(Boolean);
    checks.push({ cls, name: `${label} vs finite differences`, report: fdReports.length ? fdReports.join('\n') : null });
  }
}

const halves = (n: number) => uniformHalves(n, seed++);

/** The f16 variants (f16 activations, f32 weights and statistics) against float64 on the halves. */
async function checkF16(cls: KernelClass) {
  const [M, N, K] = [37, 44, 65];
  const a = halves(M * K);
  const W = uniform(N * K, seed++);
  const bias = uniform(N, seed++);
  const r = halves(M * N);
  const y = tidy(() => ops.matmul(tensor(a.bits, [M, K], 'f16'), tensor(W, [N, K]), {
    transB: true, bias: tensor(bias), activation: 'gelu', residual: tensor(r.bits, [M, N], 'f16'), outDType: 'f16',
  }) as Tensor);
  const ref = matmulRef(a.v, [M, K], W, [N, K], { transB: true, bias, activation: 'gelu', residual: r.v });
  checks.push({ cls, name: 'matmul f16 activations, f32 weight, fused epilogue', report: mismatchReport(await y.data(), ref.out, f16Stored(matmulTolerance(K, ref.absSum + 2))) });
  y.dispose();
  const [rows, C] = [9, 129];
  const x = halves(rows * C);
  const gamma = uniform(C, seed++);
  const beta = uniform(C, seed++);
  const ln = tidy(() => layerNorm(tensor(x.bits, [rows, C], 'f16'), tensor(gamma), tensor(beta)));
  checks.push({ cls, name: 'layerNorm f16', report: mismatchReport(await ln.y.data(), layerNormRef(x.v, gamma, beta, C).y, f16Stored(TOL.reduction)) });
  [ln.y, ln.mean, ln.rstd].forEach((t) => t.dispose());
  const c = { B: 2, S: 33, H: 2, D: 32 };
  const n = c.B * c.S * c.H * c.D;
  const [q, k, v, dOut] = [halves(n), halves(n), halves(n), halves(n)];
  const shape = [c.B, c.S, c.H * c.D];
  const ts = tidy(() => {
    const t = [q, k, v].map((h) => tensor(h.bits, shape, 'f16')) as [Tensor, Tensor, Tensor];
    const f = attention(...t, { heads: c.H });
    const g = attentionBackward(...t, f.out, tensor(dOut.bits, shape, 'f16'), f.lse, { heads: c.H });
    return [f.out, g.dq, g.dk, g.dv];
  });
  const [out, dq, dk, dv] = (await Promise.all(ts.map((t) => t.data()))) as Float32Array[];
  ts.forEach((t) => t.dispose());
  const fr = attentionRef(q.v, k.v, v.v, c);
  const gr = attentionBackwardRef(q.v, k.v, v.v, dOut.v, c, out);
  const reports = ([['out', out, fr.out], ['dq', dq, gr.dq], ['dk', dk, gr.dk], ['dv', dv, gr.dv]] as const)
    .map(([name, got, want]) => { const m = mismatchReport(got, want, f16Stored(TOL.attention)); return m && `${name}: ${m}`; }).filter(Boolean);
  checks.push({ cls, name: `attention f16 ${JSON.stringify(c)}`, report: reports.length ? reports.join('\n') : null });
}

const SHAPES: [number, number, number][] = [[7, 129, 127], [129, 7, 33], [36, 132, 68], [3, 65, 129]];

/** Every check for one kernel class, forced on the running engine (its own class restored after). */
export async function checkClass(cls: KernelClass): Promise<KernelCheck[]> {
  const start = checks.length;
  const before = engine().kernels;
  try {
    engine().useKernels(cls);
  } catch (e) {
    checks.push({ cls, name: 'useKernels', report: null, skipped: (e as Error).message });
    return checks.slice(start);
  }
  attentionTuning.variant = 'auto';
  for (const [M, N, K] of SHAPES) {
    for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]]) {
      await checkMatmul(cls, transA ? [K, M] : [M, K], transB ? [N, K] : [K, N], { transA, transB });
    }
  }
  await checkMatmul(cls, [37, 65], [65, 44], { bias: true, activation: 'gelu', residual: true });
  await checkMatmul(cls, [37, 2100], [2100, 44], { splitK: 3 });
  await checkMatmul(cls, [3, 1, 5, 127], [2, 9, 127], { transB: true });
  await checkAttention(cls, { B: 3, S: 7, H: 2, D: 32, keep: [7, 3, 1] });
  await checkAttention(cls, { B: 1, S: 33, H: 2, D: 64, dropout: { rate: 0.3, seed: 11 } });
  await checkAttention(cls, { B: 2, S: 129, H: 1, D: 20, keep: [129, 9], dropout: { rate: 0.2, seed: 7 } });
  await checkAttention(cls, { B: 2, S: 5, H: 2, D: 20, keep: [5, 2] }, true);
  if (cls === 'hardware') {
    await checkAttention(cls, { B: 2, S: 65, H: 2, D: 26, keep: [65, 31], dropout: { rate: 0.1, seed: 5 } });
    await checkAttention(cls, { B: 1, S: 18, H: 1, D: 26, keep: [15], dropout: { rate: 0.3, seed: 21 } }, true);
    await checkAttention(cls, { B: 1, S: 19, H: 1, D: 256, keep: [13] });
  }
  if (engine().hasF16) await checkF16(cls);
  else checks.push({ cls, name: 'f16 variants', report: null, skipped: 'the adapter has no shader-f16' });
  engine().useKernels(before);
  return checks.slice(start);
}

