// What a new user gets wrong, tried case by case: every case asserts the error message (naming the
// op or file, the value or element, and what was expected) or the correct result. Never a NaN loss,
// a raw WebGPU message or an uncaught platform error. After each case the engine must hold no
// pending error (a GPU-side report left for an unrelated download would be a bug of the case).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BertClassifier, BertForMaskedLM, BertForQuestionAnswering, BertModel, WordPieceTokenizer, createModel,
  engine, init, loadCheckpoint, loadWordPieceTokenizer, memory, modelFromCheckpoint, ops, parseConfig, readSafetensors,
  saveCheckpoint, shutdown, tensor, textDatasetFromDirectory, tidy, writeSafetensors, fit, autograd,
} from '../src/node.ts';
import { bertInputs, maskedLMInputs } from '../src/nn/inputs.ts';
import { BERT_DEFAULTS, type BertConfig } from '../src/nn/config.ts';
import { noGrad } from '../src/autograd/tape.ts';
import { gpu } from './util/gpu.ts';

beforeAll(gpu);
afterEach(async () => {
  await engine().sync(); // throws if a case left a GPU-side report behind
});

const CFG: BertConfig = {
  ...BERT_DEFAULTS, vocab_size: 20, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2,
  intermediate_size: 16, max_position_embeddings: 8, type_vocab_size: 2, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0,
};

/** Asserts that fn (sync or async) throws an error whose message contains every fragment. */
async function rejects(fn: () => unknown, ...fragments: string[]): Promise<Error> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  expect(error, 'expected an error').toBeInstanceOf(Error);
  const msg = (error as Error).message;
  for (const f of fragments) expect(msg).toContain(f);
  // A library error, never a raw platform one.
  expect((error as Error).name).not.toMatch(/^(TypeError|RangeError|ReferenceError)$/);
  expect(msg).not.toMatch(/validation error|Invalid BindGroup|\[object/i);
  return error as Error;
}

const ids = (rows: number[][]) => tensor(Int32Array.from(rows.flat()), [rows.length, rows[0].length], 'i32');
const f32 = (rows: number[][]) => tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
const scalar = async (t: { data(): Promise<ArrayLike<number>>; dispose(): void }) => {
  const v = (await t.data())[0];
  t.dispose();
  return v;
};

// ------------------------------------------------------------------ tensors and ops

describe('tensors', () => {
  const cases: [string, () => unknown, string[]][] = [
    ['a fraction for an i32 tensor', () => tensor([1.5], [1], 'i32'), ['tensor: value 1.5 at index 0 cannot be stored in an i32 tensor']],
    ['NaN for an i32 tensor', () => tensor([0, NaN], [2], 'i32'), ['value NaN at index 1', 'i32']],
    ['Infinity for an i32 tensor', () => tensor([Infinity], [1], 'i32'), ['value Infinity at index 0']],
    ['2^31 for an i32 tensor', () => tensor([2 ** 31], [1], 'i32'), ['value 2147483648', '[-2147483648, 2147483647]']],
    ['a negative value for a u32 tensor', () => tensor([-1], [1], 'u32'), ['value -1 at index 0 cannot be stored in an u32 tensor']],
    ['a fraction in a Float32Array for i32', () => tensor(new Float32Array([2.25]), [1], 'i32'), ['value 2.25 at index 0']],
    ['an unknown dtype', () => tensor([1], [1], 'int64' as never), ["tensor: unknown dtype 'int64'", "'f32', 'f16', 'i32' or 'u32'"]],
    ['a dtype given as a number', () => tensor([1], [1], 32 as never), ['tensor: unknown dtype 32']],
    ['strings as values', () => tensor(['1', '2'] as never), ["tensor: value '1' at index 0 is not a number"]],
    ['an object as values', () => tensor({ length: 2 } as never), ['tensor: values must be an array of numbers or a typed array, got Object']],
    ['values that do not fill the shape', () => tensor([1, 2, 3], [2, 2]), ['tensor: 3 values do not fill shape [2, 2] (4 elements)']],
    ['a negative dimension', () => tensor([1], [-1]), ['invalid shape [-1]', 'non-negative integers']],
    ['a fractional dimension', () => tensor([1, 2], [1.5]), ['invalid shape [1.5]']],
    ['an unknown dtype for an empty tensor', () => engine().empty([2], 'bf16' as never), ["empty: unknown dtype 'bf16'"]],
    ['a tensor used after dispose', () => { const t = tensor([1]); t.dispose(); return ops.add(t, t); }, ['was used after dispose()']],
  ];
  for (const [name, fn, fragments] of cases) it(`rejects ${name}`, () => rejects(fn, ...fragments));

  it('keeps valid integer values exactly (the checks reject only what cannot be stored)', async () => {
    const t = tensor([-(2 ** 31), 0, 2 ** 31 - 1], [3], 'i32');
    expect(Array.from(await t.data())).toEqual([-(2 ** 31), 0, 2 ** 31 - 1]);
    t.dispose();
  });
});

describe('ops', () => {
  const t = (shape: number[], dtype: 'f32' | 'i32' = 'f32') => tensor(new (dtype === 'f32' ? Float32Array : Int32Array)(shape.reduce((a, b) => a * b, 1)), shape, dtype);
  const cases: [string, () => unknown, string[]][] = [
    ['shapes that do not broadcast', () => ops.add(t([2, 3]), t([4])), ['add: shapes [2, 3] and [4] do not broadcast']],
    ['a matmul with mismatched inner dims', () => ops.matmul(t([2, 3]), t([4, 5])), ['matmul', '[2, 3]', '[4, 5]']],
    ['a reshape to the wrong size', () => t([2, 3]).reshape([4, 2]), ['reshape: cannot reshape [2, 3] (6 elements) to [4, 2] (8 elements)']],
    ['an i32 tensor where floats are expected', () => ops.softmax(t([2, 3], 'i32')), ['softmax', 'expected f32 or f16 input, got i32']],
    ['a dropout rate of 1', () => ops.dropout(t([4]), 1, 0), ['dropout rate must be in [0, 1), got 1']],
    ['heads that do not divide the hidden size', () => ops.attention(t([1, 4, 10]), t([1, 4, 10]), t([1, 4, 10]), { heads: 3 }), ['attention: hidden size 10 of [1, 4, 10] is not divisible by 3 heads']],
    ['a layer-norm weight of the wrong width', () => ops.layerNorm(t([2, 4]), t([3]), t([3])), ['layerNorm', '[3]']],
    ['an embedding table that is not 2-D', () => ops.embedding(t([8]), new Int32Array([0])), ['embedding: table must be (V, C), got shape [8]']],
    ['host ids past the table', () => ops.embedding(t([4, 2]), new Int32Array([1, 4])), ['embedding: ids [2] holds 4 at [1]; expected ids in [0, 4)']],
    ['a negative host id', () => ops.embedding(t([4, 2]), new Int32Array([-3])), ['ids [1] holds -3 at [0]']],
    ['host gather positions past the sequence', () => ops.gatherRows(t([1, 3, 2]), new Int32Array([5])), ['gatherRows: positions [1, 1] holds 5 at [0, 0]; expected positions in [0, 3)']],
    ['host labels past the classes', () => ops.sparseCrossEntropy(t([2, 3]), new Int32Array([0, 3])), ['sparseCrossEntropy: labels [2] holds 3 at [1]; expected labels in [0, 3)']],
    ['labels of the wrong length', () => ops.sparseCrossEntropy(t([2, 3]), new Int32Array([0])), ['labels must have 2 entries']],
  ];
  for (const [name, fn, fragments] of cases) it(`rejects ${name}`, () => rejects(() => tidy(fn as () => never), ...fragments));

  const gpuCases: [string, () => { data(): Promise<unknown>; dispose(): void }, string[]][] = [
    ['GPU ids past the table', () => ops.embedding(t([4, 2]), ids([[0, 1], [7, 2]])), ['embedding: ids [2, 2] holds 7 at [1, 0]; expected ids in [0, 4)']],
    ['negative GPU ids', () => ops.embedding(t([4, 2]), ids([[-1, -1]])), ['ids [1, 2] holds -1 at [0, 0] (and at 1 more position)']],
    ['GPU positions past the sequence', () => ops.gatherRows(t([2, 3, 4]), ids([[0], [3]])), ['gatherRows: positions [2, 1] holds 3 at [1, 0]']],
    ['negative GPU positions', () => ops.gatherRows(t([1, 3, 4]), ids([[-2, 1]])), ['positions [1, 2] holds -2 at [0, 0]']],
    ['GPU labels past the classes', () => ops.sparseCrossEntropy(t([3, 5]), tensor(new Int32Array([0, 5, 1]))).loss, ['sparseCrossEntropy: labels [3] holds 5 at [1]; expected labels in [0, 5)']],
    ['negative GPU labels that are not ignoreIndex', () => ops.sparseCrossEntropy(t([2, 5]), tensor(new Int32Array([-1, 0]))).loss, ['labels [2] holds -1 at [0]', 'or -100 to ignore a row']],
    ['a padding mask holding 2', () => ops.paddingMaskToAdditive(ids([[1, 2, 0]])), ['paddingMaskToAdditive: attentionMask [1, 3] holds 2 at [0, 1]; expected 1 for a real token and 0 for padding']],
    ['an additive mask given as the padding mask', () => ops.paddingMaskToAdditive(f32([[0, 0, -10000]])), ['holds -10000 at [0, 2]', 'This looks like an additive mask']],
    ['a -Infinity mask', () => ops.paddingMaskToAdditive(f32([[0, -Infinity]])), ['holds -Infinity at [0, 1]', 'additive mask']],
    ['a padding mask of -1', () => ops.paddingMaskToAdditive(ids([[1, -1]])), ['holds -1 at [0, 1]']],
    ['a padding mask of 0.5', () => ops.paddingMaskToAdditive(f32([[1, 0.5]])), ['holds 0.5 at [0, 1]']],
  ];
  for (const [name, fn, fragments] of gpuCases) {
    it(`rejects ${name} at the next download`, async () => {
      const out = tidy(fn);
      await rejects(() => out.data(), ...fragments);
      out.dispose();
    });
  }

  it('takes ignoreIndex labels and 0/1 masks of every dtype (correct results, no error)', async () => {
    const loss = tidy(() => ops.sparseCrossEntropy(f32([[0, 0], [1, 0]]), tensor(new Int32Array([-100, 0]))).loss);
    expect(await scalar(loss)).toBeCloseTo(Math.log(1 + Math.exp(-1)), 6);
    for (const m of [ids([[1, 0]]), f32([[1, 0]]), tensor(new Uint32Array([1, 0]), [1, 2])]) {
      expect(Array.from(await tidy(() => ops.paddingMaskToAdditive(m)).data())).toEqual([0, -Infinity]);
    }
  });

  it('names the first bad element, the count and the range when several values are bad', async () => {
    const out = tidy(() => ops.embedding(t([4, 2]), ids([[0, 9, 5, -4]])));
    await rejects(() => out.data(), 'ids [1, 4] holds 3 values outside the allowed range, the first at [0, 1]; they lie between -4 and 9');
    out.dispose();
  });

  it('raises a GPU report at a download of another tensor, once, and never returns the bad values as valid', async () => {
    const x = tensor([1, 2]);
    const bad = tidy(() => ops.sparseCrossEntropy(f32([[1, 2]]), tensor(new Int32Array([7]))).loss);
    await rejects(() => x.data(), 'labels [1] holds 7 at [0]');
    expect(Array.from(await x.data())).toEqual([1, 2]);
    expect(Number.isNaN(await scalar(bad))).toBe(true);
    x.dispose();
  });
});

// ------------------------------------------------------------------ models

describe('models', () => {
  const models: { bert?: BertModel; mlm?: BertForMaskedLM; cls?: BertClassifier; qa?: BertForQuestionAnswering } = {};
  beforeAll(() => {
    models.bert = new BertModel(CFG, { seed: 1 }).eval();
    models.mlm = new BertForMaskedLM(CFG, { seed: 2 }).eval();
    models.cls = new BertClassifier(CFG, { seed: 3, numLabels: 3 }).eval();
    models.qa = new BertForQuestionAnswering(CFG, { seed: 4 }).eval();
  });
  afterAll(() => Object.values(models).forEach((m) => m.dispose()));

  const run = async (f: () => Record<string, unknown>) => {
    const out = noGrad(() => tidy(f));
    const first = Object.values(out).find((v) => v && typeof v === 'object' && 'data' in (v as object)) as { data(): Promise<unknown> };
    try {
      await first.data();
    } finally {
      for (const v of Object.values(out)) if (v && typeof v === 'object' && 'dispose' in (v as object)) (v as { dispose(): void }).dispose();
    }
  };
  // Inputs are made when the case runs (after init), inside its tidy.
  const bert = (inputs: () => Record<string, unknown>) => () => run(() => models.bert!.forward(inputs() as never) as never);

  const cases: [string, () => unknown, string[]][] = [
    ['a token id equal to vocab_size', bert(() => ({ inputIds: ids([[1, 20, 3]]) })), ["embedding: inputIds [1, 3] holds 20 at [0, 1]; expected ids in [0, 20) (the config's vocab_size)", "tokenizer's vocabulary is larger than the model's"]],
    ['a token id far past vocab_size (a 30522-token tokenizer on a small model)', bert(() => ({ inputIds: ids([[101, 2023, 102]]) })), ['inputIds [1, 3] holds 3 values outside the allowed range, the first at [0, 0]']],
    ['a negative token id', bert(() => ({ inputIds: ids([[1, -1]]) })), ['inputIds [1, 2] holds -1 at [0, 1]', 'never negative']],
    ['a token type id equal to type_vocab_size', bert(() => ({ inputIds: ids([[1, 2]]), tokenTypeIds: ids([[0, 2]]) })), ["tokenTypeIds [1, 2] holds 2 at [0, 1]; expected ids in [0, 2) (the config's type_vocab_size)"]],
    ['an attention mask holding 2', bert(() => ({ inputIds: ids([[1, 2]]), attentionMask: ids([[1, 2]]) })), ['attentionMask [1, 2] holds 2 at [0, 1]']],
    ['an additive 0 / -10000 attention mask', bert(() => ({ inputIds: ids([[1, 2]]), attentionMask: f32([[0, -10000]]) })), ['attentionMask [1, 2] holds -10000 at [0, 1]', 'additive mask']],
    ['f32 input ids', bert(() => ({ inputIds: f32([[1, 2]]) })), ['bert: inputIds must be (batch, seq) i32, got f32 [1, 2]']],
    ['1-D input ids', bert(() => ({ inputIds: tensor(new Int32Array([1, 2]), [2], 'i32') })), ['inputIds must be (batch, seq) i32, got i32 [2]']],
    ['a sequence longer than max_position_embeddings', bert(() => ({ inputIds: ids([Array(9).fill(1)]) })), ['sequence length 9 exceeds max_position_embeddings (8)']],
    ['an empty batch', bert(() => ({ inputIds: tensor(new Int32Array(0), [0, 4], 'i32') })), ['bert: inputIds [0, 4] is empty']],
    ['an empty sequence', bert(() => ({ inputIds: tensor(new Int32Array(0), [2, 0], 'i32') })), ['inputIds [2, 0] is empty']],
    ['a mask of another shape', bert(() => ({ inputIds: ids([[1, 2]]), attentionMask: ids([[1, 1, 1]]) })), ['attentionMask [1, 3] must have the shape of inputIds [1, 2]']],
    ['f32 token type ids', bert(() => ({ inputIds: ids([[1, 2]]), tokenTypeIds: f32([[0, 0]]) })), ['tokenTypeIds must be i32, got f32']],
    ['an f16 attention mask', bert(() => ({ inputIds: ids([[1, 2]]), attentionMask: tensor(new Uint16Array([0x3c00, 0x3c00]), [1, 2]) })), ['attentionMask must be i32, u32 or f32']],
    ['masked-LM positions past the sequence', () => run(() => models.mlm!.forward({ inputIds: ids([[1, 2, 3]]), maskPositions: ids([[1, 3]]) }) as never), ['gatherRows: maskPositions [1, 2] holds 3 at [0, 1]; expected positions in [0, 3) (the sequence length)']],
    ['masked-LM labels past the vocabulary', () => run(() => models.mlm!.forward({ inputIds: ids([[1, 2, 3]]), maskPositions: ids([[1]]), labels: ids([[25]]) }) as never), ["labels [1] holds 25 at [0]; expected labels in [0, 20) (the config's vocab_size), or -100"]],
    ['masked-LM labels of the wrong shape', () => run(() => models.mlm!.forward({ inputIds: ids([[1, 2, 3]]), maskPositions: ids([[1]]), labels: ids([[1, 2]]) }) as never), ['labels [1, 2] must be [1, 1] (one per mask position)']],
    ['a class label equal to num_labels', () => run(() => models.cls!.forward({ inputIds: ids([[1, 2]]), labels: tensor(new Int32Array([3])) }) as never), ['labels [1] holds 3 at [0]; expected labels in [0, 3) (num_labels = 3)']],
    ['a negative class label', () => run(() => models.cls!.forward({ inputIds: ids([[1, 2], [3, 4]]), labels: tensor(new Int32Array([0, -2])) }) as never), ['labels [2] holds -2 at [1]']],
    ['class labels of the wrong shape', () => run(() => models.cls!.forward({ inputIds: ids([[1, 2]]), labels: ids([[1]]) }) as never), ['BertClassifier: labels must be (batch) = [1], got [1, 1]']],
    ['an answer start past the sequence', () => run(() => models.qa!.forward({ inputIds: ids([[1, 2, 3]]), startPositions: tensor(new Int32Array([4])), endPositions: tensor(new Int32Array([1])) }) as never), ['startPositions [1] holds 4 at [0]; expected labels in [0, 3) (token positions of the sequence), or 3 to ignore a row']],
    ['a negative answer end', () => run(() => models.qa!.forward({ inputIds: ids([[1, 2, 3]]), startPositions: tensor(new Int32Array([0])), endPositions: tensor(new Int32Array([-1])) }) as never), ['endPositions [1] holds -1 at [0]']],
    ['a start position without an end', () => run(() => models.qa!.forward({ inputIds: ids([[1, 2, 3]]), startPositions: tensor(new Int32Array([0])) }) as never), ['give both startPositions and endPositions, or neither']],
  ];
  for (const [name, fn, fragments] of cases) it(`rejects ${name}`, () => rejects(fn, ...fragments));

  it('takes -100 masked-LM labels and a start position equal to the sequence length (ignored), with finite losses', async () => {
    const mlm = noGrad(() => tidy(() => models.mlm!.forward({ inputIds: ids([[1, 2, 3]]), maskPositions: ids([[1, 2]]), labels: ids([[-100, 4]]) }).loss!));
    expect(Number.isFinite(await scalar(mlm))).toBe(true);
    const qa = noGrad(() => tidy(() => models.qa!.forward({ inputIds: ids([[1, 2, 3]]), startPositions: tensor(new Int32Array([3])), endPositions: tensor(new Int32Array([3])) }).loss!));
    expect(await scalar(qa)).toBe(0); // every row ignored
  });

  it('never returns the loss of a training step with a bad id as valid', async () => {
    const model = new BertForMaskedLM(CFG, { seed: 5 });
    const loss = tidy(() => {
      const { loss } = model.forward({ inputIds: ids([[1, 99, 3]]), maskPositions: ids([[0]]), labels: ids([[2]]) });
      autograd.backward(loss!);
      return loss!;
    });
    await rejects(() => loss.data(), 'inputIds [1, 3] holds 99 at [0, 1]');
    loss.dispose();
    for (const p of model.parameters()) p.value.grad?.dispose();
    model.dispose();
  });

  describe('host batches are checked where they are uploaded, naming [row, column]', () => {
    const batch = (tokenIds: number[], extra: Record<string, Int32Array> = {}) => ({ tokenIds: Int32Array.from(tokenIds), batchSize: 2, sequenceLength: 3, ...extra });
    const cases: [string, () => unknown, string[]][] = [
      ['a token id past vocab_size', () => bertInputs(batch([1, 2, 3, 4, 20, 6]), CFG), ["bert: inputIds [2, 3] holds 20 at [1, 1]; expected ids in [0, 20) (the config's vocab_size)"]],
      ['a segment id of 2', () => bertInputs(batch([1, 2, 3, 4, 5, 6], { segmentIds: Int32Array.from([0, 0, 2, 0, 0, 0]) }), CFG), ['tokenTypeIds [2, 3] holds 2 at [0, 2]']],
      ['a padding mask of 2', () => bertInputs(batch([1, 2, 3, 4, 5, 6], { paddingMask: Int32Array.from([1, 1, 1, 1, 2, 0]) }), CFG), ['attentionMask [2, 3] holds 2 at [1, 1]']],
      ['a mask position past the sequence', () => maskedLMInputs(batch([1, 2, 3, 4, 5, 6]), { tokenIds: Int32Array.from([1, 2, 3, 4, 5, 6]), maskPositions: Int32Array.from([0, 3]), maskIds: Int32Array.from([1, 1]), maskWeights: Float32Array.from([1, 1]), batchSize: 2, sequenceLength: 3 }, CFG), ['BertForMaskedLM: maskPositions [2, 1] holds 3 at [1, 0]']],
      ['a mask label past the vocabulary', () => maskedLMInputs(batch([1, 2, 3, 4, 5, 6]), { tokenIds: Int32Array.from([1, 2, 3, 4, 5, 6]), maskPositions: Int32Array.from([0, 1]), maskIds: Int32Array.from([1, 40]), maskWeights: Float32Array.from([1, 1]), batchSize: 2, sequenceLength: 3 }, CFG), ['labels [2, 1] holds 40 at [1, 0]', 'or -100 for an unused slot']],
    ];
    for (const [name, fn, fragments] of cases) it(`rejects ${name}`, () => rejects(fn, ...fragments));
  });

  it('fit rejects a host batch whose ids do not fit the model, before training', async () => {
    const model = new BertClassifier(CFG, { seed: 6, numLabels: 2 });
    const hostBatch = { tokenIds: Int32Array.from([1, 2, 30, 4]), batchSize: 2, sequenceLength: 2, labels: Int32Array.from([0, 1]) };
    await rejects(() => fit(model, [hostBatch], { epochs: 1, verbose: false }), 'inputIds [2, 2] holds 30 at [1, 0]');
    model.dispose();
  });

  it('fit rejects a tokenizer larger than the model\'s vocabulary', async () => {
    const model = new BertClassifier(CFG, { seed: 7, numLabels: 2 });
    const tokenizer = WordPieceTokenizer.fromVocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...Array.from({ length: 30 }, (_, i) => `w${i}`)].join('\n'));
    const { classification } = await import('../src/train/tasks/classification.ts');
    await rejects(() => fit(model, [{ text: 'w1 w2', label: 0 }], { task: classification({ tokenizer }), epochs: 1, verbose: false }),
      'the tokenizer has 35 tokens but the model\'s vocab_size is 20');
    model.dispose();
  });
});

// ------------------------------------------------------------------ config.json

describe('config.json values', () => {
  const base = { model_type: 'bert', vocab_size: 20, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 8 };
  const cases: [string, Record<string, unknown> | string, string[]][] = [
    ['layer_norm_eps as a string', { ...base, layer_norm_eps: '1e-12' }, ['BERT config: layer_norm_eps must be a number, got the string "1e-12"']],
    ['initializer_range as a string', { ...base, initializer_range: '0.02' }, ['initializer_range must be a number, got the string "0.02"']],
    ['an absurd max_position_embeddings', { ...base, max_position_embeddings: 1e9 }, ['max_position_embeddings 1000000000 makes a 1000000000 x 8 weight matrix', 'is the value right?']],
    ['an absurd vocab_size', { ...base, vocab_size: 3e8, hidden_size: 8 }, ['vocab_size 300000000']],
    ['vocab_size 0', { ...base, vocab_size: 0 }, ['vocab_size must be a positive integer, got 0']],
    ['vocab_size as a string', { ...base, vocab_size: '30522' }, ['vocab_size must be a positive integer, got the string "30522"']],
    ['a fractional hidden size', { ...base, hidden_size: 7.5 }, ['hidden_size must be a positive integer, got 7.5']],
    ['heads that do not divide the hidden size', { ...base, num_attention_heads: 3 }, ['hidden_size (8) must be a multiple of num_attention_heads (3)']],
    ['an unsupported activation', { ...base, hidden_act: 'swish' }, ["hidden_act 'swish' is not supported"]],
    ['an activation that is not a string', { ...base, hidden_act: 3 }, ['hidden_act must be a string such as "gelu", got 3']],
    ['architectures with a number', { ...base, architectures: [1] }, ['architectures must be a list of class names such as ["BertForMaskedLM"], got [1]']],
    ['num_labels 0', { ...base, num_labels: 0 }, ['num_labels must be a positive integer, got 0']],
    ['an absurd num_labels (found by the fuzzer: it used to hang building 2^31 label names)', { ...base, num_labels: 2 ** 31 }, ['num_labels 2147483648 is more than 1000000 classes']],
    ['num_labels that disagrees with id2label', { ...base, num_labels: 3, id2label: { 0: 'a', 1: 'b' } }, ['num_labels is 3 but id2label names 2 labels']],
    ['id2label with non-numeric keys', { ...base, id2label: { first: 'a' } }, ['id2label must map "0", "1", ...']],
    ['id2label with a gap', { ...base, id2label: { 0: 'a', 2: 'b' } }, ['id2label must map "0", "1", ...']],
    ['another model_type', { ...base, model_type: 'roberta' }, ["model_type 'roberta' is not supported (only 'bert')"]],
    ['a relative position embedding', { ...base, position_embedding_type: 'relative_key' }, ["position_embedding_type 'relative_key' is not supported"]],
    ['a dropout of 1.5', { ...base, hidden_dropout_prob: 1.5 }, ['hidden_dropout_prob must be in [0, 1), got 1.5']],
    ['a dropout as a string', { ...base, attention_probs_dropout_prob: '0.1' }, ['attention_probs_dropout_prob must be in [0, 1), got "0.1"']],
    ['a classifier dropout of 2', { ...base, classifier_dropout: 2 }, ['classifier_dropout must be null or in [0, 1), got 2']],
    ['a pad token past the vocabulary', { ...base, pad_token_id: 99 }, ['pad_token_id must be a token id in [0, 20), got 99']],
    ['a negative layer_norm_eps', { ...base, layer_norm_eps: -1 }, ['layer_norm_eps must be positive, got -1']],
    ['invalid JSON', '{"vocab_size": 20,\n  "hidden_size": }', ['config.json: not valid JSON at line 2, column 18']],
    ['truncated JSON', '{"vocab_size": 20', ['config.json: not valid JSON']],
    ['a JSON array', '[1, 2]', ['config.json must hold a JSON object']],
  ];
  for (const [name, json, fragments] of cases) {
    it(`rejects ${name}`, () => rejects(() => parseConfig(typeof json === 'string' ? json : JSON.stringify(json)), ...fragments));
  }

  it('reads what transformers reads: architectures as one string, num_labels without id2label, a BOM', () => {
    const c = parseConfig({ ...base, architectures: 'BertForMaskedLM', num_labels: 3 });
    expect(c.architectures).toEqual(['BertForMaskedLM']);
    expect(c.id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
    expect(c.label2id).toEqual({ LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 });
    expect(parseConfig(`\ufeff${JSON.stringify(base)}`).vocab_size).toBe(20);
    const cls = createModel(parseConfig({ ...base, architectures: ['BertForSequenceClassification'], num_labels: 3 }));
    expect((cls as BertClassifier).numLabels).toBe(3);
    cls.dispose();
  });
});

// ------------------------------------------------------------------ checkpoints

describe('checkpoints', () => {
  let dir: string;
  let config: Record<string, unknown>;
  let weights: Uint8Array;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bad-ckpt-'));
    const m = new BertForMaskedLM({ ...CFG, num_hidden_layers: 2 }, { seed: 8 });
    await saveCheckpoint(join(dir, 'good'), m);
    m.dispose();
    const { readFileSync } = await import('node:fs');
    config = JSON.parse(readFileSync(join(dir, 'good', 'config.json'), 'utf8'));
    weights = new Uint8Array(readFileSync(join(dir, 'good', 'model.safetensors')));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, files: Record<string, string | Uint8Array>) => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    for (const [f, v] of Object.entries(files)) writeFileSync(join(d, f), v);
    return d;
  };
  const leakFree = async (fn: () => unknown, ...fragments: string[]) => {
    const before = memory().liveTensors;
    await rejects(fn, ...fragments);
    expect(memory().liveTensors).toBe(before);
  };

  it('rejects a config with more layers than the weights, naming them and the option', () =>
    leakFree(() => modelFromCheckpoint({ ...config, num_hidden_layers: 4 }, weights),
      'the checkpoint lacks 32 backbone parameters', 'every tensor of bert.encoder.layer.{2,3}', 'allowMissingWeights: true'));

  it('loads it with allowMissingWeights, reporting what was initialised fresh', () => {
    const { model, report } = modelFromCheckpoint({ ...config, num_hidden_layers: 3 }, weights, { allowMissingWeights: true });
    expect(report.missing.length).toBe(16);
    expect(report.notes[0]).toContain('16 parameters are not in the checkpoint and keep their fresh initialisation');
    expect(report.notes[0]).toContain('bert.encoder.layer.{2}');
    model.dispose();
  });

  it('loads a classifier from an MLM checkpoint (a new head is fine), noting the head', () => {
    const { model, report } = modelFromCheckpoint(config, weights, { architecture: 'BertForSequenceClassification', numLabels: 2 });
    expect(report.missing.some((n) => n.startsWith('classifier.'))).toBe(true);
    model.dispose();
  });

  it('rejects a tensor of the wrong shape, naming it, and frees what it made', () =>
    leakFree(() => modelFromCheckpoint({ ...config, intermediate_size: 12 }, weights), "tensor 'bert.encoder.layer.0.intermediate.dense.weight' has shape [16, 8]", 'expects [12, 8]'));

  it('frees everything when the model does not fit the adapter half-way through', () => {
    const limit = engine().device.limits.maxStorageBufferBindingSize;
    const rows = Math.ceil(limit / (4 * 64)) + 1; // a word-embedding table just past the binding limit
    return leakFree(() => modelFromCheckpoint({ ...config, vocab_size: rows, hidden_size: 64, num_attention_heads: 2 }, weights), 'alloc:', 'maxStorageBufferBindingSize');
  });

  it('rejects an unknown architecture, listing the supported ones', () =>
    leakFree(() => modelFromCheckpoint({ ...config, architectures: ['BertForNextSentencePrediction'] }, weights), "architecture 'BertForNextSentencePrediction' is not supported", 'WebGpuBertForSequenceClassification'));

  it('rejects weights that belong to another model entirely', () => {
    const other = writeSafetensors([{ name: 'encoder.block.0.weight', dtype: 'F32', shape: [2], data: new Float32Array(2) }]);
    return leakFree(() => modelFromCheckpoint(config, other), 'no tensor of the checkpoint matches a parameter of BertForMaskedLM');
  });

  const broken: [string, (w: Uint8Array) => Uint8Array, string][] = [
    ['a truncated weights file', (w) => w.subarray(0, w.length - 10), 'truncated file?'],
    ['a weights file shorter than its header size field', (w) => w.subarray(0, 5), 'shorter than the 8-byte header size field'],
    ['a header size field past the file', (w) => { const c = w.slice(); new DataView(c.buffer).setBigUint64(0, 1n << 40n, true); return c; }, 'header size field says'],
    ['a header that is not JSON', (w) => { const c = w.slice(); c[9] = 0x7b; c[10] = 0x7b; return c; }, 'the header is not valid JSON'],
    ['a zip archive (a pytorch_model.bin renamed)', () => new TextEncoder().encode('PK\u0003\u0004 a zip archive, for instance pytorch_model.bin'), 'corrupt file?'],
    ['a file whose header is not a JSON object', () => { const h = new TextEncoder().encode('[1, 2]  '); const c = new Uint8Array(8 + h.length); new DataView(c.buffer).setBigUint64(0, BigInt(h.length), true); c.set(h, 8); return c; }, 'not a safetensors file?'],
  ];
  for (const [name, mutate, fragment] of broken) {
    it(`rejects ${name}, naming the file`, () => rejects(() => readSafetensors(mutate(weights), 'ckpt/model.safetensors'), 'ckpt/model.safetensors', fragment));
  }

  it('names a missing config.json by its path', async () => {
    const d = write('no-config', { 'model.safetensors': weights });
    await rejects(() => loadCheckpoint(d, { quiet: true }), join(d, 'config.json'), 'does not exist');
  });

  it('says that pickle checkpoints are not read when only pytorch_model.bin is there', async () => {
    const d = write('pickle', { 'config.json': JSON.stringify(config), 'pytorch_model.bin': 'pickle' });
    await rejects(() => loadCheckpoint(d, { quiet: true }), 'model.safetensors does not exist', 'only pytorch_model.bin is there');
  });

  it('names config.json\'s position when it is not valid JSON', async () => {
    const d = write('bad-json', { 'config.json': '{\n  "vocab_size": 20,,\n}', 'model.safetensors': weights });
    await rejects(() => loadCheckpoint(d, { quiet: true }), 'config.json: not valid JSON at line 2, column 20');
  });

  it('saves a max-pooling classifier under its own architecture name, and loads it back as the same head', async () => {
    const standard = new BertClassifier(CFG, { seed: 9, numLabels: 2 });
    const custom = new BertClassifier(CFG, { seed: 9, numLabels: 2, pooling: 'max', hiddenSize: 4 });
    expect(standard.configJson().architectures).toEqual(['BertForSequenceClassification']);
    expect(custom.configJson().architectures).toEqual(['WebGpuBertForSequenceClassification']);
    await saveCheckpoint(join(dir, 'custom'), custom);
    const { model } = await loadCheckpoint(join(dir, 'custom'), { quiet: true });
    expect(model).toBeInstanceOf(BertClassifier);
    expect((model as BertClassifier).pooling).toBe('max');
    expect((model as BertClassifier).preClassifier).not.toBeNull();
    for (const m of [standard, custom, model]) m.dispose();
  });
});

// ------------------------------------------------------------------ files from other tools

describe('files from other tools', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bad-files-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'world', '##s'];

  it('reads a vocab.txt with a byte-order mark and CRLF line ends as the plain file', () => {
    writeFileSync(join(dir, 'plain.txt'), `${vocab.join('\n')}\n`);
    writeFileSync(join(dir, 'windows.txt'), `\ufeff${vocab.join('\r\n')}\r\n`);
    const plain = loadWordPieceTokenizer(join(dir, 'plain.txt'));
    const windows = loadWordPieceTokenizer(join(dir, 'windows.txt'));
    expect(windows.vocabSize).toBe(vocab.length);
    expect(Array.from(windows.encode('hello worlds').ids)).toEqual(Array.from(plain.encode('hello worlds').ids));
    expect(Array.from(windows.encode('hello worlds').ids)).toEqual([5, 6, 7]);
    expect(windows.padId).toBe(0);
  });

  const badJson: [string, string, string[]][] = [
    ['invalid tokenizer.json', '{"model": {"type": "WordPiece",\n "vocab": {"a": 0,}}}', ['tokenizer.json: not valid JSON at line 2, column 19']],
    ['a tokenizer.json that is an array', '[]', ['tokenizer.json: expected a JSON object, got an array']],
    ['a BPE tokenizer.json', '{"model": {"type": "BPE", "vocab": {}}}', ['tokenizer.json: expected a WordPiece model with a vocab, got "BPE"']],
    ['an empty tokenizer.json', '', ['tokenizer.json: not valid JSON']],
  ];
  for (const [name, text, fragments] of badJson) {
    it(`rejects ${name}, naming the file`, () => {
      const path = join(dir, 'tokenizer.json');
      writeFileSync(path, text);
      return rejects(() => loadWordPieceTokenizer(path), path, ...fragments.map((f) => f.replace(/^tokenizer\.json: /, ': ')));
    });
  }

  it('follows a class folder that is a symlink; reports a dangling link and a loop with their paths, and skips them', () => {
    const root = join(dir, 'classes');
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(join(root, 'pos'), { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(root, 'pos', 'a.txt'), 'good');
    writeFileSync(join(elsewhere, 'b.txt'), 'bad');
    symlinkSync(elsewhere, join(root, 'neg'));
    symlinkSync(join(dir, 'nowhere'), join(root, 'pos', 'gone.txt'));
    symlinkSync(join(root, 'pos', 'self.txt'), join(root, 'pos', 'self.txt'));
    symlinkSync(root, join(root, 'pos', 'up')); // a folder link back to an ancestor
    const data = textDatasetFromDirectory(root, { shuffle: false });
    expect(data.classNames).toEqual(['neg', 'pos']);
    expect(data.files.sort()).toEqual([join('neg', 'b.txt'), join('pos', 'a.txt')]);
    const skipped = data.summary.skipped.map((s) => `${s.path}: ${s.reason}`);
    expect(skipped).toContain(`${join('pos', 'gone.txt')}: a symlink to nothing (dangling)`);
    expect(skipped).toContain(`${join('pos', 'self.txt')}: a symlink loop`);
    expect(skipped.some((s) => s.startsWith(join('pos', 'up')) && s.includes('symlink cycle'))).toBe(true);
  });

  it('rejects a validation split that leaves no examples, giving the counts', () => {
    const root = join(dir, 'tiny');
    mkdirSync(join(root, 'a'), { recursive: true });
    writeFileSync(join(root, 'a', 'one.txt'), 'x');
    writeFileSync(join(root, 'a', 'two.txt'), 'y');
    return rejects(() => textDatasetFromDirectory(root, { validationSplit: 0.2, subset: 'both', seed: 1 }),
      'validationSplit 0.2 of 2 files leaves the validation subset empty (2 training, 0 validation)');
  });

  it('names a data directory that does not exist', () =>
    rejects(() => textDatasetFromDirectory(join(dir, 'missing')), join(dir, 'missing'), 'cannot read the directory'));

  it('names a directory without class folders', () => {
    const root = join(dir, 'flat');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'a.txt'), 'x');
    return rejects(() => textDatasetFromDirectory(root), 'no class subfolders found');
  });
});

// ------------------------------------------------------------------ a device that is gone (last: it re-initialises)

describe('a tensor of a device that was shut down', () => {
  it('is a clear error on the new device, not a WebGPU validation message', async () => {
    const old = tensor([1, 2, 3]);
    shutdown();
    await init();
    await rejects(() => ops.add(old, tensor([1, 1, 1])), 'belongs to a GPU device that was shut down', 'create it again after init()');
    await rejects(() => old.data(), 'read:', 'belongs to a GPU device that was shut down');
  });
});
