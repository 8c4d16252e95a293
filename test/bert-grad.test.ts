// A full training step's parameter gradients (GPU forward, tape backward) against central finite
// differences of the float64 reference BERT's loss, parameter by parameter, on the micro
// config (hidden 8, 1 layer, 2 heads, vocab 50). Weights are random at scale 0.5 rather than BERT's
// 0.02, so attention is peaked and every GELU is in its curved part: a near-linear network would
// let wrong rules pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { engine, tensor, tidy, type Tensor } from '../src/node.ts';
import { backward } from '../src/autograd/tape.ts';
import { BertForMaskedLM } from '../src/nn/masked_lm.ts';
import { BertClassifier } from '../src/nn/classifier.ts';
import { BertForQuestionAnswering } from '../src/nn/question_answering.ts';
import type { Module } from '../src/nn/module.ts';
import { Generator } from '../src/nn/random.ts';
import { bertForward, classifierLogits, crossEntropy, mlmLogits, qaLogits, type Weights } from './reference/bert.ts';
import { MICRO, randomBatch, toInputs, weightsOf } from './util/bert-fixtures.ts';
import { numericVjp } from './util/gradcheck.ts';
import { gpu } from './util/gpu.ts';
import { assertClose, type Tolerance } from './util/tolerance.ts';

beforeAll(gpu);

// f32 forward and backward against float64 central differences (h = 1e-6; their own error is
// ~1e-9 here). Measured on lavapipe: worst error 4.4e-7 absolute (the key bias, whose true
// gradient is exactly 0: softmax ignores a per-query constant) and within 0.1 of
// (2e-6 + 2e-4 |ref|) everywhere. The bound leaves ~10x for other adapters' summation orders; a
// wrong rule is off by far more (a 0.1% error in one activation's derivative already fails).
const GRAD: Tolerance = { atol: 5e-6, rtol: 5e-4 };

const batch = randomBatch(11, [6, 4], 6, MICRO.vocab_size);
const positions = [[1, 4], [0, 2]];
const labels = [[7, 31], [12, -100]]; // one padding slot in the labels

/** Gives every parameter random values at a scale where the network is clearly nonlinear. */
function randomise(model: Module, seed: number): void {
  const g = new Generator(seed);
  for (const [name, p] of model.namedParameters()) {
    const v = g.normal(p.size, 0.5);
    if (/LayerNorm\.weight$/.test(name)) for (let i = 0; i < v.length; i++) v[i] += 1;
    p.assign(v);
  }
}

/** Backward from the model's loss, then each parameter's gradient against finite differences of `refLoss`. */
async function checkGradients(model: Module, loss: () => Tensor, refLoss: (w: Weights) => number): Promise<void> {
  tidy(() => backward(loss()));
  const w = await weightsOf(model);
  const w64: Record<string, Float64Array> = Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Float64Array.from(v)]));
  for (const [name, p] of model.namedParameters()) {
    expect(p.grad, `${name} has a gradient`).not.toBeNull();
    const got = await p.grad!.data();
    const [want] = numericVjp(([x]) => [refLoss({ ...w64, [name]: x })], [w64[name]], [1]);
    assertClose(got, want, GRAD, name);
  }
  model.zeroGrad();
}

describe('training-step gradients match central finite differences (micro config)', () => {
  it('masked LM: every parameter, through the tied decoder, with padding and an ignored label', async () => {
    const model = new BertForMaskedLM(MICRO, { seed: 1 });
    randomise(model, 100);
    await checkGradients(model, () => model.forward({
      ...toInputs(batch),
      maskPositions: tensor(Int32Array.from(positions.flat()), [2, 2], 'i32'),
      labels: tensor(Int32Array.from(labels.flat()), [2, 2], 'i32'),
    }).loss!, (w) => {
      const logits = mlmLogits(MICRO, w, bertForward(MICRO, w, batch).sequence, 6, positions);
      return crossEntropy(logits, MICRO.vocab_size, labels.flat());
    });
    model.dispose();
  });

  // The GPU kernel class (tiled matmul, flash attention) and the portable one, forced on this adapter.
  for (const cls of ['hardware', 'portable'] as const) {
    it(`masked LM with the ${cls} kernels`, async () => {
      engine().useKernels(cls);
      try {
        const model = new BertForMaskedLM(MICRO, { seed: 1 });
        randomise(model, 100);
        await checkGradients(model, () => model.forward({
          ...toInputs(batch),
          maskPositions: tensor(Int32Array.from(positions.flat()), [2, 2], 'i32'),
          labels: tensor(Int32Array.from(labels.flat()), [2, 2], 'i32'),
        }).loss!, (w) => crossEntropy(mlmLogits(MICRO, w, bertForward(MICRO, w, batch).sequence, 6, positions), MICRO.vocab_size, labels.flat()));
        model.dispose();
      } finally {
        engine().useKernels('auto');
      }
    });
  }

  it('sequence classification: pooled [CLS], and max pooling with a ReLU layer', async () => {
    for (const pooling of ['cls', 'max'] as const) {
      const model = new BertClassifier(MICRO, { seed: 2, numLabels: 3, pooling, hiddenSize: pooling === 'max' ? 5 : undefined });
      randomise(model, 200);
      const y = [2, 0];
      await checkGradients(model, () => model.forward({ ...toInputs(batch), labels: tensor(Int32Array.from(y), [2], 'i32') }).loss!,
        (w) => crossEntropy(classifierLogits(MICRO, w, batch, pooling), 3, y));
      model.dispose();
    }
  });

  it('question answering: start and end losses', async () => {
    const model = new BertForQuestionAnswering(MICRO, { seed: 3 });
    randomise(model, 300);
    const [starts, ends] = [[2, 1], [4, 3]];
    await checkGradients(model, () => model.forward({
      ...toInputs(batch),
      startPositions: tensor(Int32Array.from(starts), [2], 'i32'),
      endPositions: tensor(Int32Array.from(ends), [2], 'i32'),
    }).loss!, (w) => {
      const { start, end } = qaLogits(MICRO, w, batch);
      return (crossEntropy(start, 6, starts) + crossEntropy(end, 6, ends)) / 2;
    });
    model.dispose();
  });
});
