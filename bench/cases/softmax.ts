// Standalone softmax: attention-probability rows and vocabulary rows.
import { tensor } from '../../src/node.ts';
import { softmax, softmaxBackward } from '../../src/kernels/softmax.ts';
import { softmaxBackwardRef, softmaxRef } from '../../test/reference/softmax.ts';
import { TOL } from '../../test/util/tolerance.ts';
import type { BenchCase } from '../harness.ts';
import { edgeRows, expectClose, launches, uniform } from '../util.ts';

const SHAPES = [['BERT-base scores 6144x512', 6144, 512], ['vocab 320x30522', 320, 30522]] as const;

export const cases: BenchCase[] = SHAPES.flatMap(([label, rows, C]): BenchCase[] => [
  {
    kernel: 'softmax',
    shape: label,
    work: { bytes: 2 * rows * C * 4 },
    async ours() {
      const hx = uniform(rows * C, 1, -8, 8);
      const x = tensor(hx, [rows, C]);
      return launches([x], () => softmax(x), async (y) => {
        expectClose('softmax', edgeRows(await y.data(), rows, C), softmaxRef(edgeRows(hx, rows, C), C), TOL.transcendental);
      });
    },
    tfjs(tf) {
      const x = tf.tensor2d(uniform(rows * C, 1, -8, 8), [rows, C]);
      return { run: () => tf.softmax(x), dispose: () => x.dispose() };
    },
  },
  {
    kernel: 'softmax backward',
    shape: label,
    work: { bytes: 3 * rows * C * 4 },
    async ours() {
      const hy = softmaxRef(uniform(rows * C, 1, -8, 8), C);
      const hdy = uniform(rows * C, 2);
      const y = tensor(Float32Array.from(hy), [rows, C]);
      const dy = tensor(hdy, [rows, C]);
      return launches([y, dy], () => softmaxBackward(dy, y), async (dx) => {
        const want = softmaxBackwardRef(edgeRows(hdy, rows, C), edgeRows(Float32Array.from(hy), rows, C), C);
        expectClose('softmax backward', edgeRows(await dx.data(), rows, C), want, TOL.reduction);
      });
    },
    tfjs(tf) {
      const x = tf.tensor2d(uniform(rows * C, 1, -8, 8), [rows, C]);
      const dy = tf.tensor2d(uniform(rows * C, 2), [rows, C]);
      const g = tf.grad((v) => tf.softmax(v as typeof x));
      return { run: () => g(x, dy), dispose: () => tf.dispose([x, dy]) };
    },
  },
]);
