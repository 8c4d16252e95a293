// One AdamW step on a BERT-base FFN weight (768 x 3072), with the clipping multiplier on the GPU,
// and the global gradient norm over BERT-base-sized gradients.
import { tensor } from '../../src/node.ts';
import { adamw, clipScale, globalNorm } from '../../src/kernels/adamw.ts';
import { adamwRef, globalNormRef } from '../../test/reference/adamw.ts';
import { TOL } from '../../test/util/tolerance.ts';
import type { BenchCase } from '../harness.ts';
import { expectClose, uniform } from '../util.ts';

const N = 768 * 3072;
const OPTS = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0.01, step: 1 };
const NORM_SIZES = [30522 * 768, 768 * 3072, 3072 * 768, 768 * 768, 768 * 768, 768];

export const cases: BenchCase[] = [
  {
    kernel: 'adamw',
    shape: 'BERT-base FFN weight 768x3072',
    work: { bytes: 7 * N * 4 },   // reads param, grad, m, v; writes param, m, v
    async ours() {
      const hp = uniform(N, 1);
      const hg = uniform(N, 2);
      const param = tensor(hp, [768, 3072]);
      const grad = tensor(hg, [768, 3072]);
      const m = tensor(new Float32Array(N), [768, 3072]);
      const v = tensor(new Float32Array(N), [768, 3072]);
      const scale = tensor([0.5], []);
      let steps = 0;
      const step = () => adamw(param, grad, m, v, { ...OPTS, step: ++steps, gradScale: scale });
      step();
      return {
        run: step,
        async check() {
          // Replays the steps taken so far in float64 on the first 4096 elements.
          const k = 4096;
          const ref = { p: Float64Array.from(hp.subarray(0, k)), m: new Float64Array(k), v: new Float64Array(k) };
          for (let s = 1; s <= steps; s++) adamwRef(ref.p, hg.subarray(0, k), ref.m, ref.v, { ...OPTS, step: s, gradScale: 0.5 });
          expectClose('adamw param', (await param.data()).subarray(0, k), ref.p, { atol: 1e-5, rtol: 1e-5 });
        },
        dispose() {
          for (const t of [param, grad, m, v, scale]) t.dispose();
        },
      };
    },
    tfjs(tf) {
      const p = tf.variable(tf.tensor2d(uniform(N, 1), [768, 3072]));
      const g = tf.tensor2d(uniform(N, 2), [768, 3072]);
      const m = tf.variable(tf.zerosLike(p));
      const v = tf.variable(tf.zerosLike(p));
      const { beta1, beta2, eps, lr, weightDecay } = OPTS;
      return {
        run: () => tf.tidy(() => {
          const gs = tf.mul(g, 0.5);
          m.assign(tf.add(tf.mul(m, beta1), tf.mul(gs, 1 - beta1)));
          v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(gs), 1 - beta2)));
          const update = tf.div(tf.div(m, 1 - beta1), tf.add(tf.sqrt(tf.div(v, 1 - beta2)), eps));
          p.assign(tf.sub(tf.mul(p, 1 - lr * weightDecay), tf.mul(update, lr)));
          return tf.clone(p);
        }),
        dispose: () => tf.dispose([p, g, m, v]),
      };
    },
  },
  {
    kernel: 'globalNorm + clipScale',
    shape: 'BERT-base-sized grads (32M values)',
    work: { bytes: NORM_SIZES.reduce((a, b) => a + b, 0) * 4 },
    async ours() {
      const hosts = NORM_SIZES.map((n, i) => uniform(n, 10 + i));
      const ts = hosts.map((h) => tensor(h));
      let norm = globalNorm(ts);
      let scale = clipScale(norm, 1);
      return {
        run() {
          norm.dispose();
          scale.dispose();
          norm = globalNorm(ts);
          scale = clipScale(norm, 1);
        },
        async check() {
          expectClose('globalNorm', await norm.data(), [globalNormRef(hosts)], TOL.reduction);
        },
        dispose() {
          for (const t of [...ts, norm, scale]) t.dispose();
        },
      };
    },
    tfjs(tf) {
      const ts = NORM_SIZES.map((n, i) => tf.tensor1d(uniform(n, 10 + i)));
      return {
        run: () => tf.tidy(() => {
          const norm = tf.sqrt(tf.addN(ts.map((t) => tf.sum(tf.square(t)))));
          return tf.minimum(1, tf.div(1, tf.add(norm, 1e-6)));
        }),
        dispose: () => tf.dispose(ts),
      };
    },
  },
];
