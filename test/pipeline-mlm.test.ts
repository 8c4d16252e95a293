// FillMask and FeatureExtraction on raw strings: probabilities against a manual forward pass and a
// float64 softmax, filled-in sentences, every mask of a text, token-aligned embeddings and hidden
// states, and save / load to identical outputs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BertClassifier, BertForMaskedLM, BertModel, FeatureExtraction, FillMask, bertInputs, loadPipeline, noGrad, packTexts, tensor, tidy,
} from '../src/node.ts';
import { gpu } from './util/gpu.ts';
import { testTokenizer, tinyConfig } from './util/train-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'wgb-mlm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tokenizer = testTokenizer();
const V = tokenizer.vocabSize;
let mlm: BertForMaskedLM;
let fill: FillMask;

beforeAll(async () => {
  await gpu();
  mlm = new BertForMaskedLM(tinyConfig(V), { seed: 1 });
  fill = new FillMask({ model: mlm, tokenizer, sequenceLength: 32 });
});

/** The MLM head's logits at one position, from a manual forward pass. */
async function logitsAt(text: string, position: number): Promise<Float32Array> {
  const packed = packTexts(tokenizer, [text], { sequenceLength: 32 }).batch;
  mlm.eval();
  const t = noGrad(() => tidy(() => mlm.forward({ ...bertInputs(packed), maskPositions: tensor(Int32Array.of(position), [1, 1], 'i32') }).logits));
  mlm.train();
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

describe('FillMask', () => {
  it('gives the top-k tokens with float64 softmax probabilities over the vocabulary', async () => {
    const text = 'I have watched this [MASK] and it was awesome.';
    const top = await fill.predict(text, { topK: 5 });
    expect(top).toHaveLength(5);
    const logits = await logitsAt(text, 5); // [CLS] i have watched this [MASK]
    const m = Math.max(...logits);
    const z = logits.reduce((s, v) => s + Math.exp(v - m), 0);
    const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b).slice(0, 5);
    expect(top.map((c) => c.id)).toEqual(order);
    top.forEach((c) => {
      expect(c.score).toBeCloseTo(Math.exp(logits[c.id] - m) / z, 7);
      expect(c.token).toBe(tokenizer.idToToken(c.id));
    });
    for (let i = 1; i < 5; i++) expect(top[i].score).toBeLessThanOrEqual(top[i - 1].score);
    // Every token at once: the probabilities sum to 1.
    const all = await fill.predict(text, { topK: V });
    expect(all).toHaveLength(V);
    expect(all.reduce((s, c) => s + c.score, 0)).toBeCloseTo(1, 6);
  });

  it('fills the mask into the original string; a ## piece joins the word before', async () => {
    const text = 'The  dog [MASK]!';
    const all = await fill.predict(text, { topK: V });
    const word = all.find((c) => c.token === 'river')!;
    expect(word.sequence).toBe('The  dog river!');
    const piece = all.find((c) => c.token === '##s')!;
    expect(piece.sequence).toBe('The  dogs!');
  });

  it('predicts every mask of a text, and batches', async () => {
    const [masks] = await fill.predictMasks(['the [MASK] sees the [MASK] .'], { topK: 3 });
    expect(masks.map((m) => m.offset)).toEqual([[4, 10], [20, 26]]);
    expect(masks[1].candidates[0].sequence).toMatch(/^the \[MASK\] sees the ?\S+ \.$/); // a ## piece would join "the"
    const batch = await fill.predict(['a [MASK] cat', 'my [MASK] .', 'the dog [MASK]'], { topK: 2 });
    expect(batch.map((c) => c.length)).toEqual([2, 2, 2]);
    expect(batch[1]).toEqual(await fill.predict('my [MASK] .', { topK: 2 }));
  });

  it('says how many masks it found when predict() needs exactly one', async () => {
    await expect(fill.predict('no mask here')).rejects.toThrow('FillMask.predict: text 0 has 0 [MASK] tokens within the first 32 tokens; predict() takes exactly one');
    await expect(fill.predict('[MASK] and [MASK]')).rejects.toThrow('has 2 [MASK] tokens');
    await expect(fill.predict(`${'the '.repeat(40)}[MASK]`)).rejects.toThrow('has 0 [MASK] tokens within the first 32 tokens');
  });

  it('saves and reloads to identical candidates', async () => {
    const dir = join(root, 'fill');
    await fill.save(dir);
    const again = await loadPipeline(dir);
    expect(again).toBeInstanceOf(FillMask);
    const text = 'the cat [MASK] the dog .';
    expect(await (again as FillMask).predict(text, { topK: 10 })).toEqual(await fill.predict(text, { topK: 10 }));
    again.dispose();
  });
});

describe('FeatureExtraction', () => {
  it('returns token-aligned vectors equal to the backbone run by hand, and every layer', async () => {
    const fe = new FeatureExtraction({ model: mlm, tokenizer, sequenceLength: 32 });
    const texts = ['The  Cat sees DOGS.', 'a tree'];
    const [f] = await fe.predict(texts, { hiddenStates: true });
    expect(f.tokens).toEqual(['[CLS]', 'the', 'cat', 'sees', 'dog', '##s', '.', '[SEP]']);
    expect(f.offsets.map(([s, e]) => texts[0].slice(s, e))).toEqual(['', 'The', 'Cat', 'sees', 'DOG', 'S', '.', '']);
    expect(f.sequence.rows).toBe(8);
    expect(f.sequence.cols).toBe(32);
    expect(f.pooled).toBeNull(); // an MLM model has no pooler
    expect(Array.from(f.cls)).toEqual(Array.from(f.sequence.row(0)));
    expect(f.hiddenStates).toHaveLength(3); // embeddings + 2 layers
    expect(f.hiddenStates![2].data).toEqual(f.sequence.data);
    const packed = packTexts(tokenizer, texts, { sequenceLength: 32 }).batch;
    mlm.eval();
    const out = noGrad(() => tidy(() => mlm.bert.forward(bertInputs(packed)).sequenceOutput));
    mlm.train();
    const manual = (await out.data()) as Float32Array;
    out.dispose();
    expect(f.sequence.data).toEqual(manual.slice(0, 8 * 32));
    const mean = Array.from({ length: 32 }, (_, h) => f.sequence.toArray().reduce((s, r) => s + r[h], 0) / 8);
    mean.forEach((v, h) => expect(f.mean[h]).toBeCloseTo(v, 6));
  });

  it('gives the pooled vector of a model with a pooler, loads any saved BERT, and takes odd inputs', async () => {
    const clf = new BertClassifier(tinyConfig(V), { numLabels: 2, seed: 2 });
    const fe = new FeatureExtraction({ model: clf, tokenizer, sequenceLength: 16 });
    const [empty, long] = await fe.predict(['', 'the dog '.repeat(50)]);
    expect(empty.tokens).toEqual(['[CLS]', '[SEP]']);
    expect(empty.pooled).toHaveLength(32);
    expect(long.tokens).toHaveLength(16);
    expect(long.tokens.at(-1)).toBe('[SEP]');
    const dir = join(root, 'fe');
    await fe.save(dir);
    const again = await loadPipeline(dir);
    expect(again).toBeInstanceOf(FeatureExtraction);
    expect((await (again as FeatureExtraction).predict('the dog')).pooled).toEqual((await fe.predict('the dog')).pooled);
    const base = new FeatureExtraction({ model: new BertModel(tinyConfig(V), { seed: 3 }), tokenizer });
    expect((await base.predict('a 🙂 cat')).tokens).toEqual(['[CLS]', 'a', '[UNK]', 'cat', '[SEP]']);
    for (const p of [again, base]) p.dispose();
    clf.dispose();
  });
});
