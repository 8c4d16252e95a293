// Matmul benchmark cases: square sizes, and the BERT-tiny / BERT-base layer shapes including the
// transposed backward products (dX = dY W^T, dW = X^T dY) and the MLM decoder over the vocabulary.
// Correctness: 256 sampled outputs against a float64 dot product of the same inputs.
import { ops, tensor } from '../../src/node.ts';
import type { MatmulActivation } from '../../src/kernels/matmul.ts';
import { f16BitsToF32, f32ToF16Bits } from '../../src/gpu/dtype.ts';
import { geluRef } from '../../test/reference/matmul.ts';
import { rng, uniform } from '../../test/util/random.ts';
import { matmulTolerance, mismatchReport } from '../../test/util/tolerance.ts';
import type { BenchCase } from '../harness.ts';

interface Spec {
  label: string;
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  bias?: boolean;
  activation?: MatmulActivation;
  residual?: boolean;
  /** Issue 3: >= 3x tfjs-webgpu and >= tfjs-wasm at 1024^3, the BERT-base FFN shape and its transposed backward shapes. */
  targeted?: boolean;
  /** Both operands stored in f16 (issue 11: beside the same f32 case; tfjs has no f16 matmul to compare). */
  f16?: boolean;
}

/** f32 values rounded to f16: the bits to upload, and the values the kernel then computes with. */
function toHalves(x: Float32Array): { bits: Uint16Array; values: Float32Array } {
  const bits = Uint16Array.from(x, f32ToF16Bits);
  return { bits, values: Float32Array.from(bits, f16BitsToF32) };
}

function matmulCase(s: Spec): BenchCase {
  const { M, N, K } = s;
  const aShape = s.transA ? [K, M] : [M, K];
  const bShape = s.transB ? [N, K] : [K, N];
  const flags = [s.f16 && 'f16', s.transA && 'transA', s.transB && 'transB', s.bias && '+bias', s.activation && `+${s.activation}`, s.residual && '+residual'].filter(Boolean).join(' ');
  let host: { A: Float32Array; B: Float32Array; Ah?: Uint16Array; Bh?: Uint16Array; bias?: Float32Array; res?: Float32Array } | null = null;
  const inputs = () => {
    if (host) return host;
    let A = uniform(M * K, M + 7 * K);
    let B = uniform(K * N, N + 13 * K);
    let Ah: Uint16Array | undefined;
    let Bh: Uint16Array | undefined;
    if (s.f16) {
      ({ bits: Ah, values: A } = toHalves(A));
      ({ bits: Bh, values: B } = toHalves(B));
    }
    return (host = { A, B, Ah, Bh, bias: s.bias ? uniform(N, 3) : undefined, res: s.residual ? uniform(M * N, 4) : undefined });
  };
  return {
    kernel: 'matmul',
    shape: `${s.label} ${M}x${K} @ ${K}x${N}${flags ? ` ${flags}` : ''}`,
    work: { flops: 2 * M * N * K },
    targets: s.targeted ? { webgpu: 3, wasm: 1 } : undefined,
    async ours() {
      const h = inputs();
      const a = h.Ah ? tensor(h.Ah, aShape, 'f16') : tensor(h.A, aShape);
      const b = h.Bh ? tensor(h.Bh, bShape, 'f16') : tensor(h.B, bShape);
      const bias = h.bias && tensor(h.bias);
      const residual = h.res && tensor(h.res, [M, N]);
      const opts = { transA: s.transA, transB: s.transB, bias, residual, activation: s.activation };
      return {
        run: () => ops.matmul(a, b, opts).dispose(),
        async check() {
          const y = ops.matmul(a, b, opts);
          const got = await y.data();
          y.dispose();
          const r = rng(99);
          const idx: number[] = [0, M * N - 1];
          while (idx.length < 256) idx.push(Math.floor(r() * M * N));
          const want: number[] = [];
          let absSum = 0;
          for (const i of idx) {
            const m = Math.floor(i / N);
            const n = i % N;
            let acc = 0;
            let abs = 0;
            for (let k = 0; k < K; k++) {
              const x = h.A[s.transA ? k * M + m : m * K + k] * h.B[s.transB ? n * K + k : k * N + n];
              acc += x;
              abs += Math.abs(x);
            }
            if (h.bias) acc += h.bias[n];
            if (s.activation === 'gelu') acc = geluRef(acc);
            if (h.res) acc += h.res[i];
            want.push(acc);
            absSum = Math.max(absSum, abs);
          }
          const report = mismatchReport(idx.map((i) => got[i]), want, matmulTolerance(K, absSum + 2));
          if (report) throw new Error(report);
        },
        dispose() {
          for (const t of [a, b, bias, residual]) t?.dispose();
        },
      };
    },
    tfjs: s.f16 ? undefined : (tf) => {
      const h = inputs();
      const a = tf.tensor(h.A, aShape);
      const b = tf.tensor(h.B, bShape);
      const bias = h.bias && tf.tensor(h.bias);
      const res = h.res && tf.tensor(h.res, [M, N]);
      return {
        run: () => tf.tidy(() => {
          let y = tf.matMul(a, b, s.transA, s.transB);
          if (bias) y = tf.add(y, bias);
          if (s.activation === 'gelu') y = tf.mul(tf.mul(y, 0.5), tf.add(1, tf.erf(tf.mul(y, Math.SQRT1_2))));
          if (res) y = tf.add(y, res);
          return y;
        }),
        dispose: () => tf.dispose([a, b, bias, res].filter((t) => t !== undefined)),
      };
    },
  };
}

// Tokens per batch: 16 sequences of 128.
const T = 16 * 128;

export const cases: BenchCase[] = [
  ...[256, 512, 1024, 2048].map((n) => matmulCase({ label: 'square', M: n, N: n, K: n, targeted: n === 1024 })),
  // BERT-tiny: hidden 128, FFN 512.
  matmulCase({ label: 'BERT-tiny attn proj', M: T, N: 128, K: 128, bias: true }),
  matmulCase({ label: 'BERT-tiny FFN1', M: T, N: 512, K: 128, bias: true, activation: 'gelu' }),
  matmulCase({ label: 'BERT-tiny FFN2', M: T, N: 128, K: 512, bias: true, residual: true }),
  matmulCase({ label: 'BERT-tiny FFN1 dX=dY.W^T', M: T, N: 128, K: 512, transB: true }),
  matmulCase({ label: 'BERT-tiny FFN1 dW=X^T.dY', M: 128, N: 512, K: T, transA: true }),
  // BERT-base: hidden 768, FFN 3072, vocab 30522.
  matmulCase({ label: 'BERT-base FFN1', M: T, N: 3072, K: 768, targeted: true }),
  matmulCase({ label: 'BERT-base FFN1', M: T, N: 3072, K: 768, bias: true, activation: 'gelu' }),
  matmulCase({ label: 'BERT-base FFN1 dX=dY.W^T', M: T, N: 768, K: 3072, transB: true, targeted: true }),
  matmulCase({ label: 'BERT-base FFN1 dW=X^T.dY', M: 768, N: 3072, K: T, transA: true, targeted: true }),
  matmulCase({ label: 'BERT-base attn proj', M: T, N: 768, K: 768, bias: true }),
  matmulCase({ label: 'BERT-base MLM decoder', M: 16 * 20, N: 30522, K: 768, transB: true, bias: true }),
  // The same products with f16 operands (unpacked to f32 as they load), beside their f32 rows above.
  matmulCase({ label: 'square', M: 1024, N: 1024, K: 1024, f16: true }),
  matmulCase({ label: 'BERT-base FFN1', M: T, N: 3072, K: 768, f16: true }),
  matmulCase({ label: 'BERT-base FFN1 dX=dY.W^T', M: T, N: 768, K: 3072, transB: true, f16: true }),
  matmulCase({ label: 'BERT-base MLM decoder', M: 16 * 20, N: 30522, K: 768, transB: true, bias: true, f16: true }),
];
