// GELU forward and backward on the FFN activations of BERT (tokens x 4*hidden).
import { tensor } from '../../src/node.ts';
import { gelu, geluBackward } from '../../src/kernels/gelu.ts';
import { geluBackwardRef, geluRef } from '../../test/reference/gelu.ts';
import { TOL } from '../../test/util/tolerance.ts';
import type { BenchCase } from '../harness.ts';
import { expectClose, launches, uniform } from '../util.ts';

const SHAPES = [['BERT-tiny 2048x512', 2048, 512], ['BERT-base 2048x3072', 2048, 3072]] as const;
const CHECK = 4096; // elements checked against float64 at each end

function ends(a: ArrayLike<number>): Float32Array {
  const out = new Float32Array(2 * CHECK);
  for (let i = 0; i < CHECK; i++) {
    out[i] = a[i];
    out[CHECK + i] = a[a.length - CHECK + i];
  }
  return out;
}

export const cases: BenchCase[] = SHAPES.flatMap(([label, rows, C]): BenchCase[] => {
  const n = rows * C;
  return [
    {
      kernel: 'gelu',
      shape: label,
      work: { bytes: 2 * n * 4 },
      targets: { copy: 0.5 },   // issue 3: >= 50% of a plain copy's bandwidth
      async ours() {
        const hx = uniform(n, 1, -6, 6);
        const x = tensor(hx, [rows, C]);
        return launches([x], () => gelu(x), async (y) => {
          expectClose('gelu', ends(await y.data()), geluRef(ends(hx)), TOL.transcendental);
        });
      },
      tfjs(tf) {
        const x = tf.tensor2d(uniform(n, 1, -6, 6), [rows, C]);
        return {
          run: () => tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))))),
          dispose: () => x.dispose(),
        };
      },
    },
    {
      kernel: 'gelu backward',
      shape: label,
      work: { bytes: 3 * n * 4 },
      targets: { copy: 0.5 },   // issue 3: >= 50% of a plain copy's bandwidth
      async ours() {
        const hx = uniform(n, 1, -6, 6);
        const hdy = uniform(n, 2);
        const x = tensor(hx, [rows, C]);
        const dy = tensor(hdy, [rows, C]);
        return launches([x, dy], () => geluBackward(dy, x), async (dx) => {
          expectClose('gelu backward', ends(await dx.data()), geluBackwardRef(ends(hdy), ends(hx)), TOL.transcendental);
        });
      },
      tfjs(tf) {
        const x = tf.tensor2d(uniform(n, 1, -6, 6), [rows, C]);
        const dy = tf.tensor2d(uniform(n, 2), [rows, C]);
        const g = tf.grad((v) => tf.mul(tf.mul(v, 0.5), tf.add(1, tf.erf(tf.mul(v, Math.SQRT1_2)))));
        return { run: () => g(x, dy), dispose: () => tf.dispose([x, dy]) };
      },
    },
  ];
});
