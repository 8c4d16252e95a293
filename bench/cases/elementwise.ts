// The elementwise kernels a BERT step runs besides GELU (shaders/binary.wgsl, unary.wgsl): adds as
// BERT has them (a bias over every token, [T, H] + [H]; the position embeddings over a batch,
// [B, S, H] + [S, H]; a same-shape residual add), gradient accumulation in place (addInto), and a
// unary op (affine), against tfjs's equivalents. Memory-bound: the least traffic counts a and y
// (a broadcast operand stays in cache), acc read and written for addInto.
import { tensor } from '../../src/node.ts';
import { addInto, binary, unary } from '../../src/kernels/elementwise.ts';
import { broadcastRef } from '../../test/reference/elementwise.ts';
import { TOL } from '../../test/util/tolerance.ts';
import type { BenchCase } from '../harness.ts';
import { expectClose, launches, uniform } from '../util.ts';

const ADDS: [string, number[], number[]][] = [
  ['bias BERT-tiny 2048x128 + 128', [2048, 128], [128]],
  ['positions BERT-base 16x128x768 + 128x768', [16, 128, 768], [128, 768]],
  ['residual BERT-base 2048x768', [2048, 768], [2048, 768]],
];
const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
const N = 2048 * 768;

export const cases: BenchCase[] = [
  ...ADDS.map(([label, as, bs]): BenchCase => ({
    kernel: 'add',
    shape: label,
    work: { bytes: 2 * size(as) * 4 },
    async ours() {
      const ha = uniform(size(as), 1);
      const hb = uniform(size(bs), 2);
      const a = tensor(ha, as);
      const b = tensor(hb, bs);
      return launches([a, b], () => binary('add', a, b), async (y) => {
        expectClose(`add ${label}`, await y.data(), broadcastRef('add', ha, as, hb, bs).out, TOL.arithmetic);
      });
    },
    tfjs(tf) {
      const a = tf.tensor(uniform(size(as), 1), as);
      const b = tf.tensor(uniform(size(bs), 2), bs);
      return { run: () => tf.add(a, b), dispose: () => tf.dispose([a, b]) };
    },
  })),
  {
    kernel: 'addInto',
    shape: 'gradient BERT-base 2048x768',
    work: { bytes: 3 * N * 4 },
    async ours() {
      const hacc = uniform(N, 3);
      const hx = uniform(N, 4);
      const acc = tensor(hacc, [2048, 768]);
      const x = tensor(hx, [2048, 768]);
      let runs = 0;
      return {
        run() { addInto(acc, x); runs++; },
        // acc = acc0 + runs * x, checked at both ends of the buffer: each of the runs additions rounds
        // once (2^-24 relative) a value of magnitude <= 1 + runs, so the bound is runs (1 + runs) 2^-24.
        async check() {
          const got = await acc.data();
          const at = [0, 1, 2, 3, 4, N - 5, N - 1];
          expectClose('addInto', at.map((i) => got[i]), at.map((i) => hacc[i] + runs * hx[i]), { atol: runs * (1 + runs) * 2 ** -24, rtol: 0 });
        },
        dispose() { acc.dispose(); x.dispose(); },
      };
    },
    tfjs(tf) {
      const acc = tf.variable(tf.tensor(uniform(N, 3), [2048, 768]));
      const x = tf.tensor(uniform(N, 4), [2048, 768]);
      return { run: () => acc.assign(tf.add(acc, x)), dispose: () => tf.dispose([acc, x]) };
    },
  },
  {
    kernel: 'unary',
    shape: 'affine BERT-base 2048x768',
    work: { bytes: 2 * N * 4 },
    async ours() {
      const hx = uniform(N, 5);
      const x = tensor(hx, [2048, 768]);
      return launches([x], () => unary('affine', x, 0.5, 0.25), async (y) => {
        expectClose('affine', await y.data(), Float64Array.from(hx, (v) => 0.5 * v + 0.25), TOL.arithmetic);
      });
    },
    tfjs(tf) {
      const x = tf.tensor(uniform(N, 5), [2048, 768]);
      return { run: () => tf.add(tf.mul(x, 0.5), 0.25), dispose: () => x.dispose() };
    },
  },
];
