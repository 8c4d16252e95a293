// Benchmark cases for the fused attention kernels (src/kernels/attention.ts): forward alone and
// forward + backward at BERT-base and BERT-tiny shapes, against TensorFlow.js running the unfused
// composition matmul -> softmax -> matmul and its backward written out (tf.grads would compute the
// same graph). tfjs gets q, k, v already laid out per head (B * H, S, D), which spares it the
// permutes a model would need; ours reads BERT's (B, S, H * D) directly.
//
// FLOP counts are the useful ones: 4 B H S^2 D forward (q k^T and P v), 8 B H S^2 D backward
// (dP, dV, dQ, dK); the recomputation of the scores in the backward is not counted.
import { tensor } from '../../src/index.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { attention, attentionBackward, type AttentionOptions } from '../../src/kernels/attention.ts';
import { attentionBackwardRef, attentionRef } from '../../test/reference/attention.ts';
import { uniform } from '../../test/util/random.ts';
import { assertClose, type Tolerance } from '../../test/util/tolerance.ts';
import type { BenchCase } from '../harness.ts';
import { launches } from '../util.ts';

interface Shape { label: string; B: number; S: number; H: number; D: number }

const SHAPES: Shape[] = [
  { label: 'BERT-tiny B16 S128 H2 D64', B: 16, S: 128, H: 2, D: 64 },
  { label: 'BERT-base B4 S128 H12 D64', B: 4, S: 128, H: 12, D: 64 },
  { label: 'BERT-base B4 S512 H12 D64', B: 4, S: 512, H: 12, D: 64 },
];

// Sums over S = 512 keys and D = 64 dims in f32, checked against float64: a few ulp of each term.
const TOL: Tolerance = { atol: 2e-5, rtol: 1e-4 };

interface Inputs { q: Float32Array; k: Float32Array; v: Float32Array; dOut: Float32Array; mask: Float32Array }

function inputs(s: Shape): Inputs {
  const n = s.B * s.S * s.H * s.D;
  // Padding: batch b keeps its first S - 8 b tokens, like a batch of sentences of mixed length.
  const mask = new Float32Array(s.B * s.S);
  for (let b = 0; b < s.B; b++) for (let j = 0; j < s.S; j++) mask[b * s.S + j] = j < s.S - 8 * b ? 0 : -Infinity;
  return { q: uniform(n, 1, -2, 2), k: uniform(n, 2, -2, 2), v: uniform(n, 3), dOut: uniform(n, 4), mask };
}

/** One head (b, h) of (B, S, H * D) data as a (1, S, D) problem for the float64 reference. */
function slice(x: Float32Array, s: Shape, b: number, h: number): Float32Array {
  const out = new Float32Array(s.S * s.D);
  for (let i = 0; i < s.S; i++) out.set(x.subarray(((b * s.S + i) * s.H + h) * s.D, ((b * s.S + i) * s.H + h + 1) * s.D), i * s.D);
  return out;
}

async function checkHeads(s: Shape, x: Inputs, got: Record<string, Float32Array>, backward: boolean): Promise<void> {
  for (const [b, h] of [[0, 0], [s.B - 1, s.H - 1]]) {
    const o = { B: 1, S: s.S, H: 1, D: s.D, mask: x.mask.subarray(b * s.S, (b + 1) * s.S) };
    const [q, k, v, dOut] = [x.q, x.k, x.v, x.dOut].map((t) => slice(t, s, b, h));
    const ref = attentionRef(q, k, v, o);
    assertClose(slice(got.out, s, b, h), ref.out, TOL, `attention out, head (${b}, ${h})`);
    if (!backward) continue;
    const g = attentionBackwardRef(q, k, v, dOut, o);
    for (const name of ['dq', 'dk', 'dv'] as const) assertClose(slice(got[name], s, b, h), g[name], TOL, `attention ${name}, head (${b}, ${h})`);
  }
}

function oursCase(s: Shape, backward: boolean): BenchCase['ours'] {
  return async () => {
    const x = inputs(s);
    const shape = [s.B, s.S, s.H * s.D];
    const [q, k, v, dOut] = [x.q, x.k, x.v, x.dOut].map((a) => tensor(a, shape));
    const mask = tensor(x.mask, [s.B, s.S]);
    const opts: AttentionOptions = { heads: s.H, mask };
    const launch = (): Record<string, Tensor> => {
      const { out, lse } = attention(q, k, v, opts);
      return backward ? { out, lse, ...attentionBackward(q, k, v, out, dOut, lse, opts) } : { out, lse };
    };
    return launches([q, k, v, dOut, mask], launch, async (outs) => {
      const got: Record<string, Float32Array> = {};
      for (const [name, t] of Object.entries(outs)) got[name] = (await t.data()) as Float32Array;
      await checkHeads(s, x, got, backward);
    });
  };
}

function tfjsCase(s: Shape, backward: boolean): BenchCase['tfjs'] {
  return (tf) => {
    const x = inputs(s);
    // Per-head layout (B * H, S, D), which tfjs's batched matmul needs.
    const perHead = (a: Float32Array) => tf.tidy(() => tf.reshape(tf.transpose(tf.tensor4d(a, [s.B, s.S, s.H, s.D]), [0, 2, 1, 3]), [s.B * s.H, s.S, s.D]));
    const [q, k, v, dOut] = [x.q, x.k, x.v, x.dOut].map(perHead);
    const mask = tf.tidy(() => tf.reshape(tf.tile(tf.tensor3d(x.mask.map((m) => (m === -Infinity ? -1e30 : m)), [s.B, 1, s.S]), [1, s.H, 1]), [s.B * s.H, 1, s.S]));
    const scale = 1 / Math.sqrt(s.D);
    return {
      run: () => tf.tidy(() => {
        const p = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), scale), mask));
        const out = tf.matMul(p, v);
        if (!backward) return [out];
        const dv = tf.matMul(p, dOut, true, false);
        const dp = tf.matMul(dOut, v, false, true);
        const ds = tf.mul(tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), -1, true))), scale);
        return [out, tf.matMul(ds, k), tf.matMul(ds, q, true, false), dv];
      }),
      dispose: () => [q, k, v, dOut, mask].forEach((t) => t.dispose()),
    };
  };
}

export const cases: BenchCase[] = SHAPES.flatMap((s) => {
  const flops = 4 * s.B * s.H * s.S * s.S * s.D;
  return [
    { kernel: 'attention forward', shape: s.label, work: { flops }, ours: oursCase(s, false), tfjs: tfjsCase(s, false) },
    // Issue 3: forward + backward >= 3x tfjs-webgpu's composition.
    { kernel: 'attention forward+backward', shape: s.label, work: { flops: 3 * flops }, ours: oursCase(s, true), tfjs: tfjsCase(s, true), targets: { webgpu: 3 } },
  ];
});
