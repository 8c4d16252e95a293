// Word-embedding lookup and its deterministic scatter-add backward (BERT vocabulary), and the MLM
// head's row gather.
import { tensor } from '../../src/node.ts';
import { embedding, embeddingBackward, gatherRows } from '../../src/kernels/embedding.ts';
import { embeddingBackwardRef, embeddingRef, gatherRowsRef } from '../../test/reference/embedding.ts';
import { randomInts } from '../../test/util/random.ts';
import { TOL } from '../../test/util/tolerance.ts';
import type { BenchCase } from '../harness.ts';
import { expectClose, launches, uniform } from '../util.ts';

const V = 30522;
const SHAPES = [['BERT-tiny 30522x128, 2048 ids', 128], ['BERT-base 30522x768, 2048 ids', 768]] as const;
const T = 2048;

function idsFor(): Int32Array {
  const ids = randomInts(T, 3, 0, 2000);   // Zipf-like: a small working vocabulary, many repeats
  for (let i = 0; i < T; i += 16) ids[i] = 0;   // and one id in every sixteen positions
  ids[1] = V - 1;
  return ids;
}

export const cases: BenchCase[] = [
  ...SHAPES.flatMap(([label, C]): BenchCase[] => [
    {
      kernel: 'embedding',
      shape: label,
      work: { bytes: 2 * T * C * 4 },
      async ours() {
        const table = uniform(V * C, 1);
        const hi = idsFor();
        const t = tensor(table, [V, C]);
        const ids = tensor(hi, [16, 128]);
        return launches([t, ids], () => embedding(t, ids), async (y) => {
          expectClose('embedding', await y.data(), embeddingRef(table, C, hi), TOL.exact);
        });
      },
      tfjs(tf) {
        const t = tf.tensor2d(uniform(V * C, 1), [V, C]);
        const ids = tf.tensor1d(idsFor(), 'int32');
        return { run: () => tf.gather(t, ids), dispose: () => tf.dispose([t, ids]) };
      },
    },
    {
      kernel: 'embedding backward',
      shape: label,
      work: { bytes: (T * C + V * C) * 4 },   // reads dy, writes the dense (V, C) gradient
      async ours() {
        const hdy = uniform(T * C, 2);
        const hi = idsFor();
        const dy = tensor(hdy, [16, 128, C]);
        const ids = tensor(hi, [16, 128]);
        return launches([dy, ids], () => embeddingBackward(dy, ids, V), async (d) => {
          expectClose('embedding backward', await d.data(), embeddingBackwardRef(hdy, C, hi, V), TOL.reduction);
        });
      },
      tfjs(tf) {
        const t = tf.tensor2d(uniform(V * C, 1), [V, C]);
        const ids = tf.tensor1d(idsFor(), 'int32');
        const dy = tf.tensor2d(uniform(T * C, 2), [T, C]);
        const g = tf.grad((w) => tf.gather(w, ids));
        return { run: () => g(t, dy), dispose: () => tf.dispose([t, ids, dy]) };
      },
    },
  ]),
  {
    kernel: 'gatherRows',
    shape: 'MLM 16x128x768 at 16x20',
    work: { bytes: 2 * 16 * 20 * 768 * 4 },
    async ours() {
      const [B, S, C, P] = [16, 128, 768, 20];
      const hx = uniform(B * S * C, 4);
      const hp = randomInts(B * P, 5, 0, S);
      const x = tensor(hx, [B, S, C]);
      const pos = tensor(hp, [B, P]);
      return launches([x, pos], () => gatherRows(x, pos), async (y) => {
        expectClose('gatherRows', await y.data(), gatherRowsRef(hx, B, S, C, hp), TOL.exact);
      });
    },
  },
];
