// TextClassifier: raw strings in, labels out. Training from texts and label names, awkward inputs
// (empty, very long, unknown characters, pairs), warm starts from an MLM backbone, save / load
// to bit-identical predictions (on disk and in memory), and its error messages.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BertClassifier, BertForMaskedLM, TextClassifier, WordPieceTokenizer, loadPipeline, saveCheckpoint, type Classification } from '../src/node.ts';
import { weightsOf } from './util/bert-fixtures.ts';
import { gpu } from './util/gpu.ts';
import { keywordData, testTokenizer, testVocab, tinyConfig } from './util/train-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'wgb-clf-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tokenizer = testTokenizer();
const LABELS = ['negative', 'positive'];
let clf: TextClassifier;

beforeAll(async () => {
  await gpu();
  clf = TextClassifier.create({ tokenizer, labels: LABELS, config: tinyConfig(tokenizer.vocabSize), sequenceLength: 32, seed: 1 });
  const { texts, labels } = keywordData(192, 1);
  const val = keywordData(48, 2);
  await clf.fit(texts, labels.map((l) => LABELS[l]), { epochs: 4, batchSize: 16, lr: 3e-3, validationData: { texts: val.texts, labels: val.labels }, verbose: false });
});

describe('TextClassifier', () => {
  it('classifies raw strings after fitting on texts and label names', async () => {
    const results = await clf.predict(['The GREAT old house by the river.', 'an awful, awful day', 'my dog sees a great tree']);
    expect(results.map((r) => r.label)).toEqual(['positive', 'negative', 'positive']);
    for (const r of results) {
      expect(r.score).toBe(r.scores[r.label]);
      expect(r.scores.negative + r.scores.positive).toBeCloseTo(1, 6);
      expect(r.score).toBeGreaterThan(0.9);
      expect(r.labelId).toBe(LABELS.indexOf(r.label));
    }
    const one = await clf.predict('a great city');
    expect(one.label).toBe('positive');
    const val = keywordData(48, 3);
    const logs = await clf.evaluate(val.texts, val.labels);
    expect(logs.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(Object.keys(logs)).toEqual(['loss', 'accuracy']);
  });

  it('takes empty strings, very long strings (truncated), unknown characters and text pairs', async () => {
    const long = `great ${'the river near the old tree '.repeat(200)}`;
    const results = await clf.predict(['', long, 'naïve café 東京 🙂 great \u0000\u200b', '\n\t  ']);
    expect(results).toHaveLength(4);
    for (const r of results) expect(LABELS).toContain(r.label);
    expect(results[1].label).toBe('positive'); // the keyword is within the first 32 tokens
    const [pair] = await clf.predict([['a great day', 'the river']]);
    expect(LABELS).toContain(pair.label);
    // Each string's result does not depend on its batch neighbours' padding.
    const alone = await clf.predict('an awful road');
    const batched = (await clf.predict(['an awful road', long]))[0];
    expect(batched.label).toBe(alone.label);
    expect(batched.score).toBeCloseTo(alone.score, 5);
  });

  it('saves and reloads to bit-identical predictions, on disk and in memory', async () => {
    const dir = join(root, 'clf');
    await clf.save(dir);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'pipeline.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config.id2label).toEqual({ 0: 'negative', 1: 'positive' });
    expect(config.architectures).toEqual(['BertForSequenceClassification']);
    expect(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'))).toMatchObject({ do_lower_case: true, model_max_length: 32, tokenizer_class: 'BertTokenizer' });
    expect(JSON.parse(readFileSync(join(dir, 'pipeline.json'), 'utf8'))).toEqual({ format: 1, task: 'text-classification', sequenceLength: 32, padding: 'longest' });
    const texts = ['I love modular workflows!', 'a great cat', 'awful', ''];
    const before = await clf.predict(texts);
    const loaded = await TextClassifier.load(dir);
    expect(loaded.labels).toEqual(LABELS);
    expect(await loaded.predict(texts)).toEqual(before);
    const any = await loadPipeline(dir);
    expect(any).toBeInstanceOf(TextClassifier);
    const inMemory = TextClassifier.fromFiles(await clf.toFiles());
    expect(await inMemory.predict(texts)).toEqual(before);
    for (const p of [loaded, any, inMemory]) p.dispose();
  });

  it('reloads a transformers directory without pipeline.json or tokenizer.json', async () => {
    // A vocabulary that repeats a token cannot go to tokenizer.json: vocab.txt carries it.
    const vocab = [...testVocab(), 'great'];
    const tok = WordPieceTokenizer.fromVocab(vocab, { lowercase: false });
    const model = new BertClassifier(tinyConfig(tok.vocabSize), { numLabels: 2, seed: 2 });
    const p = new TextClassifier({ model, tokenizer: tok, sequenceLength: 16, labels: ['no', 'yes'] });
    const dir = join(root, 'hf');
    await p.save(dir);
    expect(existsSync(join(dir, 'tokenizer.json'))).toBe(false);
    const bare = join(root, 'hf-bare');
    await saveCheckpoint(bare, model, { tokenizer: tok }); // config.json, model.safetensors, vocab.txt only
    const again = await TextClassifier.load(dir);
    expect(again.tokenizer.normalizer.options.lowercase).toBe(false);
    expect(await again.predict(['Great DAY', 'great day'])).toEqual(await p.predict(['Great DAY', 'great day']));
    const fromHf = await TextClassifier.load(bare);
    expect(fromHf.sequenceLength).toBe(64); // from max_position_embeddings
    expect(fromHf.labels).toEqual(['no', 'yes']);
    for (const x of [p, again, fromHf]) x.dispose();
  });

  it('starts from an MLM-pretrained backbone (seed 000)', async () => {
    const mlm = new BertForMaskedLM(tinyConfig(tokenizer.vocabSize), { seed: 9 });
    const warm = TextClassifier.create({ tokenizer, labels: ['a', 'b', 'c'], backbone: mlm, pooling: 'max', hiddenSize: 16, sequenceLength: 32 });
    const src = await weightsOf(mlm);
    const dst = await weightsOf(warm.model);
    for (const [name, w] of Object.entries(src)) if (name.startsWith('bert.')) expect(dst[name], name).toEqual(w);
    expect(warm.model.config.classifier_pooling).toBe('max');
    const r: Classification = await warm.predict('a cat');
    expect(['a', 'b', 'c']).toContain(r.label);
    warm.dispose();
    mlm.dispose();
  });

  it('gives clear errors', async () => {
    const model = new BertClassifier(tinyConfig(tokenizer.vocabSize), { numLabels: 2, seed: 3 });
    expect(() => new TextClassifier({ model, tokenizer, labels: ['a', 'b', 'c'] })).toThrow('TextClassifier: 3 label names (a, b, c) but the model has 2 labels');
    const untrained = new TextClassifier({ model, tokenizer, sequenceLength: 16 });
    expect((await untrained.predict(['fine before any fit'])).length).toBe(1); // predicting untrained is allowed
    await expect(untrained.fit(['a', 'b', 'c'], [0, 1])).rejects.toThrow('TextClassifier.fit: 3 texts but 2 labels');
    await expect(untrained.fit(['a'], ['maybe'], { verbose: false })).rejects.toThrow('has label "maybe", which is not one of the 2 class names (LABEL_0, LABEL_1)');
    await expect(untrained.fit(['a'], [5], { verbose: false })).rejects.toThrow("has label 5, outside the model's 2 labels (LABEL_0, LABEL_1)");
    await expect(untrained.fit([], [])).rejects.toThrow('TextClassifier.fit: no texts');
    await expect(TextClassifier.load(join(root, 'missing'))).rejects.toThrow(/missing is not a directory/);
    await expect(loadPipeline(join(root, 'clf-nothing'))).rejects.toThrow(/is not a directory/);
    const single = new BertClassifier(tinyConfig(tokenizer.vocabSize), { numLabels: 1, seed: 4 });
    expect(() => new TextClassifier({ model: single, tokenizer })).toThrow('the model has a single logit');
    const small = WordPieceTokenizer.fromVocab(testVocab());
    expect(() => TextClassifier.create({ tokenizer: small, labels: ['x'] })).toThrow('needs at least 2 label names, got 1');
    expect(() => new TextClassifier({ model, tokenizer: WordPieceTokenizer.fromVocab([...testVocab(), ...Array.from({ length: 200 }, (_, i) => `w${i}`)]) })).toThrow(
      /the tokenizer has \d+ tokens but the model's vocab_size is \d+/,
    );
    untrained.dispose();
    single.dispose();
  });
});
