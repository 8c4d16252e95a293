// LayerNorm forward and backward at BERT shapes (rows = batch * sequence).
import { engine, tensor, tidy } from '../../src/node.ts';
import { layerNorm, layerNormBackward } from '../../src/kernels/layernorm.ts';
import { layerNormBackwardRef, layerNormRef } from '../../test/reference/layernorm.ts';
import { TOL } from '../../test/util/tolerance.ts';
import type { BenchCase } from '../harness.ts';
import { edgeRows, expectClose, launches, uniform } from '../util.ts';

const EPS = 1e-12;
const SHAPES = [['BERT-tiny 2048x128', 2048, 128], ['BERT-base 2048x768', 2048, 768]] as const;

function inputs(rows: number, C: number) {
  return { x: uniform(rows * C, 1, -2, 2), gamma: uniform(C, 2, 0.5, 1.5), beta: uniform(C, 3), dy: uniform(rows * C, 4) };
}

export const cases: BenchCase[] = SHAPES.flatMap(([label, rows, C]): BenchCase[] => [
  {
    kernel: 'layernorm',
    shape: label,
    work: { bytes: 2 * rows * C * 4 },   // read x, write y
    targets: { copy: 0.5 },   // issue 3: >= 50% of a plain copy's bandwidth
    async ours() {
      const h = inputs(rows, C);
      const x = tensor(h.x, [rows, C]);
      const gamma = tensor(h.gamma);
      const beta = tensor(h.beta);
      return launches([x, gamma, beta], () => layerNorm(x, gamma, beta, EPS), async (out) => {
        const want = layerNormRef(edgeRows(h.x, rows, C), h.gamma, h.beta, C, EPS).y;
        expectClose('layernorm', edgeRows(await out.y.data(), rows, C), want, TOL.reduction);
      });
    },
    tfjs(tf) {
      const h = inputs(rows, C);
      const x = tf.tensor2d(h.x, [rows, C]);
      const gamma = tf.tensor1d(h.gamma);
      const beta = tf.tensor1d(h.beta);
      return {
        run: () => tf.tidy(() => {
          const { mean, variance } = tf.moments(x, -1, true);
          return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS))), gamma), beta);
        }),
        dispose: () => tf.dispose([x, gamma, beta]),
      };
    },
  },
  {
    kernel: 'layernorm backward',
    shape: label,
    work: { bytes: 3 * rows * C * 4 },   // read dy and x, write dx (dgamma/dbeta re-read them: 5 in all)
    targets: { copy: 0.5 },   // issue 3: >= 50% of a plain copy's bandwidth
    async ours() {
      const h = inputs(rows, C);
      const x = tensor(h.x, [rows, C]);
      const gamma = tensor(h.gamma);
      const dy = tensor(h.dy, [rows, C]);
      const f = tidy(() => layerNorm(x, gamma, tensor(h.beta), EPS));
      return launches([x, gamma, dy, ...Object.values(f)], () => layerNormBackward(dy, x, gamma, f.mean, f.rstd), async (out) => {
        const ref = layerNormBackwardRef(edgeRows(h.dy, rows, C), edgeRows(h.x, rows, C), h.gamma, C, EPS);
        expectClose('layernorm dx', edgeRows(await out.dx.data(), rows, C), ref.dx, TOL.reduction);
        const full = layerNormBackwardRef(h.dy, h.x, h.gamma, C, EPS);
        expectClose('layernorm dgamma', await out.dgamma.data(), full.dgamma, { atol: 1e-4, rtol: 1e-4 });
        expectClose('layernorm dbeta', await out.dbeta.data(), full.dbeta, { atol: 1e-4, rtol: 1e-4 });
        await engine().sync();
      });
    },
    tfjs(tf) {
      const h = inputs(rows, C);
      const x = tf.tensor2d(h.x, [rows, C]);
      const gamma = tf.tensor1d(h.gamma);
      const beta = tf.tensor1d(h.beta);
      const dy = tf.tensor2d(h.dy, [rows, C]);
      const f = (a: typeof x, g: typeof gamma, b: typeof beta) => {
        const { mean, variance } = tf.moments(a, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, EPS))), g), b);
      };
      const grads = tf.grads((a, g, b) => f(a as typeof x, g as typeof gamma, b as typeof beta));
      return {
        run: () => grads([x, gamma, beta], dy),
        dispose: () => tf.dispose([x, gamma, beta, dy]),
      };
    },
  },
]);
