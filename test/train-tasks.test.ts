// The task adapters: masked-LM pretraining with dynamic masking (and fixed evaluation masks),
// pre-packed batches, a single-logit binary head, and the question-answering windows and labels.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BertClassifier, BertForMaskedLM, BertForQuestionAnswering, FillMaskPrinter, MultiSegmentPacker, answerTokens, classification, fit, maskedLM, predict,
  questionAnswering, windowStarts, type MaskedLMHostBatch,
} from '../src/node.ts';
import { gpu } from './util/gpu.ts';
import { keywordData, testTokenizer, tinyConfig } from './util/train-fixtures.ts';

beforeAll(gpu);

const tokenizer = testTokenizer();
const SENTENCES = [
  'the cat sees the dog near the river .',
  'my old book is very green .',
  'a small tree runs under the blue road .',
  'your quiet city of seven houses .',
];

describe('masked-LM task', () => {
  it('pretrains on repeated sentences to high masked-token accuracy, printing fill-mask samples', async () => {
    const model = new BertForMaskedLM(tinyConfig(tokenizer.vocabSize, { max_position_embeddings: 16, hidden_size: 64 }), { seed: 1 });
    const data = Array.from({ length: 64 }, (_, i) => SENTENCES[i % 4]);
    const lines: string[] = [];
    const printer = new FillMaskPrinter({ tokenizer, text: 'the cat sees the [MASK] near the river .', topK: 3, print: (l) => lines.push(l) });
    const history = await fit(model, data, {
      task: maskedLM({ tokenizer, sequenceLength: 16, seed: 3 }), epochs: 20, batchSize: 16, lr: 1e-2, schedule: 'linear',
      validationData: SENTENCES.flatMap((s) => [s, s, s, s]), callbacks: [printer], verbose: false,
    });
    const acc = history.series('val_accuracy');
    expect(history.series('loss')[0]).toBeGreaterThan(3); // ~ln(vocab) at the start
    expect(acc.at(-1)).toBeGreaterThanOrEqual(0.9);
    expect(printer.results).toHaveLength(20);
    expect(printer.results.at(-1)!.candidates[0].token).toBe('dog');
    expect(lines.slice(-4)).toEqual([
      'Epoch 20 fill-mask: the cat sees the [MASK] near the river .',
      expect.stringMatching(/^ {2}1\. dog {6}0\.\d{4} {2}the cat sees the dog near the river \.$/),
      expect.stringMatching(/^ {2}2\. \S+ +0\.\d{4} {2}the cat sees the \S+ near the river \.$/),
      expect.stringMatching(/^ {2}3\. /),
    ]);
    const top = printer.results.at(-1)!.candidates;
    expect(top[0].score).toBeGreaterThan(top[1].score);
    model.dispose();
  });

  it('draws new masks every training pass and the same masks every evaluation pass', () => {
    const task = maskedLM({ tokenizer, sequenceLength: 16, seed: 5 });
    task.check(new BertForMaskedLM(tinyConfig(tokenizer.vocabSize, { max_position_embeddings: 16 }), { seed: 0 }));
    const train = task.collator('train');
    const a = train(SENTENCES);
    const b = task.collator('train')(SENTENCES); // the stream continues across passes
    expect(a.masks.maskPositions).not.toEqual(b.masks.maskPositions);
    const e1 = task.collator('eval')(SENTENCES);
    const e2 = task.collator('eval')(SENTENCES);
    expect(e1.masks).toEqual(e2.masks);
    // 15% of each sentence's real tokens (specials never), ceil(0.15 x 16) = 3 slots per row.
    expect(a.masks.maskPositions.length).toBe(4 * 3);
    const special = new Set(tokenizer.specialIds);
    a.masks.maskPositions.forEach((p, i) => {
      if (a.masks.maskWeights[i] > 0) expect(special.has(a.inputs.tokenIds[Math.floor(i / 3) * a.inputs.sequenceLength + p])).toBe(false);
    });
    expect(a.lossWeight).toBe(a.masks.maskWeights.reduce((s, w) => s + w, 0));
    expect(a.tokens).toBe(a.inputs.paddingMask!.reduce((s, m) => s + m, 0));
  });

  it('masks pre-packed batches on the fly and uses given masks as they are', async () => {
    const model = new BertForMaskedLM(tinyConfig(tokenizer.vocabSize, { max_position_embeddings: 16 }), { seed: 2 });
    const packer = new MultiSegmentPacker({ sequenceLength: 16, startValue: tokenizer.clsId, endValue: tokenizer.sepId });
    const packed: MaskedLMHostBatch = packer.packBatch(SENTENCES.map((s) => [tokenizer.encode(s).ids]));
    const task = maskedLM({ tokenizer, sequenceLength: 16 });
    task.check(model);
    const masked = task.fromBatch(packed, 'train');
    expect(masked.masks.tokenIds.filter((id) => id === tokenizer.maskId).length).toBeGreaterThan(0);
    const given = task.fromBatch({ ...packed, masks: masked.masks }, 'train');
    expect(given.masks).toBe(masked.masks);
    const h = await fit(model, [packed, { ...packed, masks: masked.masks }], { task, epochs: 2, verbose: false });
    expect(h.epochs.map((e) => e.steps)).toEqual([2, 2]);
    // Without a tokenizer there is no [MASK] id to mask with.
    await expect(fit(model, [packed], { verbose: false })).rejects.toThrow('masked-lm task: masking needs a tokenizer');
    const [pred] = await predict(model, ['the cat sees the [MASK] .'], { task: maskedLM({ tokenizer, sequenceLength: 16, topK: 4 }) });
    expect(pred.positions).toEqual([5]);
    expect(pred.candidates[0]).toHaveLength(4);
    model.dispose();
  });
});

describe('classification task', () => {
  it('trains a single-logit binary head with binary cross-entropy and binary accuracy', async () => {
    const model = new BertClassifier(tinyConfig(tokenizer.vocabSize), { numLabels: 1, seed: 3 });
    const { texts, labels } = keywordData(96, 4);
    const data = texts.map((text, i) => ({ text, label: labels[i] }));
    const task = classification({ tokenizer, sequenceLength: 32, labels: ['negative', 'positive'] });
    const h = await fit(model, data, { task, epochs: 8, batchSize: 16, lr: 3e-3, validationData: data.slice(0, 32), verbose: false });
    expect(h.series('loss')[0]).toBeCloseTo(Math.log(2), 1);
    expect(h.last!.val_accuracy).toBeGreaterThanOrEqual(0.95);
    const preds = await predict(model, [{ text: 'the great cat' }, { text: 'the awful cat' }], { task });
    expect(preds.map((p) => p.label)).toEqual([1, 0]);
    expect(preds[0].probabilities[0] + preds[0].probabilities[1]).toBeCloseTo(1, 6);
    await expect(fit(model, [{ text: 'x', label: 'maybe' }], { task, verbose: false })).rejects.toThrow('not one of the 2 class names (negative, positive)');
    model.dispose();
  });
});

describe('question-answering task', () => {
  it('cuts long contexts into overlapping windows (HF doc_stride)', () => {
    expect(windowStarts(5, 8, 2)).toEqual([0]);
    expect(windowStarts(8, 8, 2)).toEqual([0]);
    expect(windowStarts(9, 8, 2)).toEqual([0, 6]);
    expect(windowStarts(20, 8, 3)).toEqual([0, 5, 10, 15]);
    expect(() => windowStarts(20, 8, 8)).toThrow('docStride (8) must be in [0, window length 8)');
  });

  it('labels the window holding the whole answer with its tokens and the others with [CLS]', () => {
    const task = questionAnswering({ tokenizer, sequenceLength: 16, docStride: 3 });
    task.check(new BertForQuestionAnswering(tinyConfig(tokenizer.vocabSize, { max_position_embeddings: 16 }), { seed: 0 }));
    const context = 'the cat sees the dog near the river and the old tree is red tea under a small road .';
    const start = context.indexOf('red tea');
    const batch = task.collator('train')([{ question: 'what is it ?', context, answer: { text: 'red tea', start } }]);
    const enc = tokenizer.encode(context);
    const [first, last] = answerTokens(enc, start, start + 7)!;
    expect(enc.tokens.slice(first, last + 1)).toEqual(['red', 'tea']);
    // Question of 4 tokens: windows of 16 - 4 - 3 = 9 context tokens, advancing by 6.
    expect(batch.features!.map((f) => [f.windowStart, f.windowLength, f.contextOffset])).toEqual([[0, 9, 6], [6, 9, 6], [12, 8, 6]]);
    const S = batch.inputs.sequenceLength;
    batch.features!.forEach((f, row) => {
      const inside = first >= f.windowStart && last < f.windowStart + f.windowLength;
      const s = batch.startPositions![row];
      const e = batch.endPositions![row];
      if (!inside) expect([s, e]).toEqual([0, 0]);
      else expect(Array.from(batch.inputs.tokenIds.subarray(row * S + s, row * S + e + 1))).toEqual([tokenizer.tokenToId('red'), tokenizer.tokenToId('tea')]);
    });
    expect(batch.features!.filter((f) => first >= f.windowStart && last < f.windowStart + f.windowLength)).toHaveLength(2);
    expect(() => task.collator('train')([{ question: 'q', context, answer: { text: 'red tea', start: 3 } }])).toThrow(
      'example 0\'s answer "red tea" is not at context[3] (found " cat se")',
    );
    expect(() => task.collator('train')([{ question: 'q', context, answer: { text: 'purple' } }])).toThrow('answer "purple" does not occur in its context');
  });
});
