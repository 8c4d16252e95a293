// The GPU BERT models against the float64 reference BERT (test/reference/bert.ts) on the same
// weights: BERT-tiny's shapes (L-2_H-128_A-2, small vocabulary), a padded batch, mixed segments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory, tensor, tidy } from '../src/node.ts';
import { noGrad } from '../src/autograd/tape.ts';
import { BertModel } from '../src/nn/pretrained.ts';
import { BertForMaskedLM } from '../src/nn/masked_lm.ts';
import { BertClassifier } from '../src/nn/classifier.ts';
import { BertForQuestionAnswering } from '../src/nn/question_answering.ts';
import type { BertConfig } from '../src/nn/config.ts';
import { bertForward, classifierLogits, mlmLogits, qaLogits } from './reference/bert.ts';
import { MICRO, TINY, randomBatch, toInputs, weightsOf } from './util/bert-fixtures.ts';
import { gpu } from './util/gpu.ts';
import { assertClose, type Tolerance } from './util/tolerance.ts';

beforeAll(gpu);

// f32 end to end through embeddings, 2 post-LN layers and a head. Measured on lavapipe: worst
// error 7.9e-7 absolute (outputs up to 3.8), under 2% of this bound. The margin is for other
// adapters' kernels (tiled and split-K matmuls, other summation orders); a real bug (a wrong mask,
// scale or layout) moves outputs by 1e-2 or more.
const MODEL: Tolerance = { atol: 1e-5, rtol: 1e-4 };

const batch = randomBatch(7, [13, 9, 4], 13, TINY.vocab_size);
const maskPositions = [[2, 11], [0, 5], [1, 3]];

describe('BERT-tiny forward matches the float64 reference BERT, with padding in the batch', () => {
  const before = { live: 0 };
  beforeAll(() => {
    before.live = memory().liveTensors;
  });
  afterAll(() => {
    expect(memory().liveTensors).toBe(before.live);
  });

  it('sequence output, pooled output and every layer\'s hidden states (BertModel)', async () => {
    const model = new BertModel(TINY, { seed: 1 }).eval();
    const w = await weightsOf(model);
    const ref = bertForward(TINY, w, batch, '');
    const inputs = toInputs(batch);
    const out = noGrad(() => model.forward(inputs, { outputHiddenStates: true }));
    assertClose(await out.sequenceOutput.data(), ref.sequence, MODEL, 'sequence output');
    assertClose(await out.pooledOutput!.data(), ref.pooled!, MODEL, 'pooled output');
    expect(out.hiddenStates!.length).toBe(TINY.num_hidden_layers + 1);
    for (let l = 0; l < ref.hiddenStates.length; l++) assertClose(await out.hiddenStates![l].data(), ref.hiddenStates[l], MODEL, `hidden state ${l}`);
    for (const t of [out.sequenceOutput, out.pooledOutput!, ...out.hiddenStates!, ...Object.values(inputs)]) t.dispose();
    model.dispose();
  });

  it('masked-LM logits at the mask positions only (BertForMaskedLM, tied decoder)', async () => {
    const model = new BertForMaskedLM(TINY, { seed: 2 }).eval();
    const w = await weightsOf(model);
    expect(Object.keys(w)).not.toContain('cls.predictions.decoder.weight'); // tied: stored once, as HF saves it
    const ref = mlmLogits(TINY, w, bertForward(TINY, w, batch).sequence, 13, maskPositions);
    const logits = tidy(() => noGrad(() => model.forward({ ...toInputs(batch), maskPositions: tensor(Int32Array.from(maskPositions.flat()), [3, 2], 'i32') }).logits));
    expect(logits.shape).toEqual([3, 2, TINY.vocab_size]);
    assertClose(await logits.data(), ref, MODEL, 'MLM logits');
    logits.dispose();
    model.dispose();
  });

  it('classifier logits: pooled [CLS], and masked global max pooling with a ReLU layer (seed 000)', async () => {
    for (const pooling of ['cls', 'max'] as const) {
      const model = new BertClassifier(TINY, { seed: 3, numLabels: 3, pooling, hiddenSize: pooling === 'max' ? 16 : undefined }).eval();
      const w = await weightsOf(model);
      const ref = classifierLogits(TINY, w, batch, pooling);
      const logits = tidy(() => noGrad(() => model.forward(toInputs(batch)).logits));
      expect(logits.shape).toEqual([3, 3]);
      assertClose(await logits.data(), ref, MODEL, `${pooling} pooling`);
      logits.dispose();
      model.dispose();
    }
  });

  it('question-answering start and end logits', async () => {
    const model = new BertForQuestionAnswering(TINY, { seed: 4 }).eval();
    const w = await weightsOf(model);
    const ref = qaLogits(TINY, w, batch);
    const [start, end] = tidy(() => noGrad(() => {
      const out = model.forward(toInputs(batch));
      return [out.startLogits, out.endLogits];
    }));
    expect(start.shape).toEqual([3, 13]);
    assertClose(await start.data(), ref.start, MODEL, 'start logits');
    assertClose(await end.data(), ref.end, MODEL, 'end logits');
    start.dispose();
    end.dispose();
    model.dispose();
  });

  it('the tanh GELU and ReLU activations, without segment ids or a mask', async () => {
    for (const act of ['gelu_new', 'relu'] as const) {
      const config: BertConfig = { ...MICRO, hidden_size: 16, intermediate_size: 64, hidden_act: act };
      const model = new BertForMaskedLM(config, { seed: 5 }).eval();
      const w = await weightsOf(model);
      const plain = { inputIds: batch.inputIds.map((r) => r.map((id) => id % config.vocab_size)) };
      const ref = mlmLogits(config, w, bertForward(config, w, plain).sequence, 13, maskPositions);
      const logits = tidy(() => noGrad(() => model.forward({
        inputIds: tensor(Int32Array.from(plain.inputIds.flat()), [3, 13], 'i32'),
        maskPositions: tensor(Int32Array.from(maskPositions.flat()), [3, 2], 'i32'),
      }).logits));
      assertClose(await logits.data(), ref, MODEL, act);
      logits.dispose();
      model.dispose();
    }
  });

  it('rejects inputs that do not fit the model, naming the shapes', () => {
    const model = new BertModel(MICRO, { seed: 6 });
    tidy(() => {
      const ids = tensor(new Int32Array(2 * 20), [2, 20], 'i32');
      expect(() => model.forward({ inputIds: ids })).toThrow('bert: sequence length 20 exceeds max_position_embeddings (16)');
      const ok = tensor(new Int32Array(6), [2, 3], 'i32');
      expect(() => model.forward({ inputIds: ok, attentionMask: tensor(new Int32Array(4), [2, 2], 'i32') }))
        .toThrow('bert: attentionMask [2, 2] must have the shape of inputIds [2, 3]');
      expect(() => model.forward({ inputIds: tensor([1, 2, 3]) })).toThrow(/inputIds must be \(batch, seq\) i32/);
    });
    model.dispose();
  });
});
