// Fused sparse cross-entropy over a 30522-word vocabulary: the MLM head's masked tokens
// (BERT-base, 20 per sequence of 128, batch 16 = 320 rows) and every token of a batch (1024, 2048 rows).
import { engine, tensor } from '../../src/node.ts';
import { sparseCrossEntropy, sparseCrossEntropyBackward } from '../../src/kernels/cross_entropy.ts';
import { crossEntropyBackwardRef, crossEntropyRef } from '../../test/reference/cross_entropy.ts';
import { TOL } from '../../test/util/tolerance.ts';
import type { BenchCase } from '../harness.ts';
import type { Tf } from '../peers.ts';
import { expectClose, launches, uniform } from '../util.ts';

const V = 30522;
// 2048 x 30522 f32 is 250 MB: more than lavapipe's 128 MiB storage-binding limit (the runner reports it).
const SHAPES = [['MLM 320x30522', 320], ['1024 tokens 1024x30522', 1024], ['all tokens 2048x30522', 2048]] as const;

function labelsFor(N: number): Int32Array {
  return Int32Array.from({ length: N }, (_, i) => (i % 7 === 6 ? -100 : (i * 7919) % V));
}

/** Logits in [-4, 4) and labels (every seventh ignored), on the host and as tensors. */
function inputs(N: number) {
  const hx = uniform(N * V, 1, -4, 4);
  const hl = labelsFor(N);
  return { hx, hl, x: tensor(hx, [N, V]), labels: tensor(hl) };
}

/** The same for tfjs: one-hot targets and 0/1 weights for the ignored rows. */
function tfInputs(tf: Tf, N: number) {
  const hl = labelsFor(N);
  return {
    x: tf.tensor2d(uniform(N * V, 1, -4, 4), [N, V]),
    onehot: tf.oneHot(tf.tensor1d(Int32Array.from(hl, (l) => Math.max(l, 0)), 'int32'), V),
    w: tf.tensor1d(Float32Array.from(hl, (l) => (l === -100 ? 0 : 1))),
  };
}

export const cases: BenchCase[] = SHAPES.flatMap(([label, N]): BenchCase[] => [
  {
    kernel: 'cross_entropy',
    shape: label,
    work: { bytes: N * V * 4 },   // reads the logits once
    targets: { copy: 0.5 },   // issue 3: >= 50% of a plain copy's bandwidth
    async ours() {
      const { hx, hl, x, labels } = inputs(N);
      return launches([x, labels], () => sparseCrossEntropy(x, labels), async (out) => {
        const ref = crossEntropyRef(hx, hl, V);
        expectClose('cross-entropy loss', await out.loss.data(), [ref.loss], TOL.reduction);
        expectClose('cross-entropy lse', await out.lse.data(), ref.lse, TOL.reduction);
      });
    },
    tfjs(tf) {
      const { x, onehot, w } = tfInputs(tf, N);
      return {
        run: () => tf.losses.softmaxCrossEntropy(onehot, x, w),
        dispose: () => tf.dispose([x, onehot, w]),
      };
    },
  },
  {
    kernel: 'cross_entropy backward',
    shape: label,
    work: { bytes: 2 * N * V * 4 },   // reads the logits, writes dlogits
    targets: { copy: 0.5 },   // issue 3: >= 50% of a plain copy's bandwidth
    async ours() {
      const { hx, hl, x, labels } = inputs(N);
      const f = sparseCrossEntropy(x, labels);
      return launches([x, labels, f.loss, f.lse], () => sparseCrossEntropyBackward(x, labels, f.lse), async (d) => {
        const k = 3; // rows checked: the first three, including an ignored one if N > 6
        const want = crossEntropyBackwardRef(hx.subarray(0, k * V), hl.subarray(0, k), V);
        // The reference divides by its own k rows; rescale to the full weighted count.
        const count = hl.filter((l) => l !== -100).length;
        const kCount = hl.subarray(0, k).filter((l) => l !== -100).length;
        const got = (await d.data()).subarray(0, k * V);
        expectClose('cross-entropy dlogits', got, want.map((v) => (v * kCount) / count), TOL.transcendental);
        await engine().sync();
      });
    },
    tfjs(tf) {
      const { x, onehot, w } = tfInputs(tf, N);
      const g = tf.grad((v) => tf.losses.softmaxCrossEntropy(onehot, v, w));
      return { run: () => g(x), dispose: () => tf.dispose([x, onehot, w]) };
    },
  },
]);
