// Benchmark cases for dropout (src/kernels/dropout.ts), a memory-bound kernel: it reads x and
// writes y (8 bytes per element) and draws one Philox4x32-10 call per 4 elements. The peer is
// tfjs's tf.dropout (its own RNG and a materialised mask). The backward is the same kernel.
import { tensor } from '../../src/index.ts';
import { dropout } from '../../src/kernels/dropout.ts';
import { dropoutRef } from '../../test/reference/dropout.ts';
import { uniform } from '../../test/util/random.ts';
import { TOL, assertClose } from '../../test/util/tolerance.ts';
import type { BenchCase } from '../harness.ts';
import { launches } from '../util.ts';

const RATE = 0.1;
const SEED = 1234;

const SHAPES: { label: string; n: number }[] = [
  { label: 'BERT-base hidden 2048x768', n: 2048 * 768 },
  { label: 'BERT-base attention probs 4x12x128x128', n: 4 * 12 * 128 * 128 },
  { label: 'BERT-base FFN 2048x3072', n: 2048 * 3072 },
];

export const cases: BenchCase[] = SHAPES.map(({ label, n }) => ({
  kernel: 'dropout',
  shape: label,
  work: { bytes: 8 * n },
  async ours() {
    const host = uniform(n, 7);
    const x = tensor(host);
    return launches([x], () => dropout(x, RATE, SEED), async (y) => {
      const got = await y.data();
      // The whole mask is predicted by the reference Philox; compare a prefix to bound the time.
      const m = Math.min(n, 1 << 18);
      assertClose(got.subarray(0, m), dropoutRef(host.subarray(0, m), RATE, SEED), TOL.arithmetic, `dropout ${label}`);
    });
  },
  tfjs(tf) {
    const x = tf.tensor1d(uniform(n, 7));
    return { run: () => tf.dropout(x, RATE, undefined, SEED), dispose: () => x.dispose() };
  },
}));
