// Metrics against hand-computed values, EarlyStopping (counting and restoring weights),
// ModelCheckpoint (loadable, atomic, best-only), LearningCurves' SVG and the fill-mask printout.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BertClassifier, BinaryAccuracy, EarlyStopping, History, LearningCurves, MetricSet, ModelCheckpoint, SparseCategoricalAccuracy, classification, fit,
  learningCurvesSvg, loadCheckpoint, predict, tensor, tidy, type Callback, type TaskOutput, type TrainBatch, type TrainContext,
} from '../src/node.ts';
import { formatFillMask } from '../src/train/fill_mask_printer.ts';
import { weightsOf } from './util/bert-fixtures.ts';
import { gpu } from './util/gpu.ts';
import { keywordData, testTokenizer, tinyConfig } from './util/train-fixtures.ts';

beforeAll(gpu);

const root = mkdtempSync(join(tmpdir(), 'wgb-train-cb-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tokenizer = testTokenizer();
const config = tinyConfig(tokenizer.vocabSize);
const task = () => classification({ tokenizer, sequenceLength: 32 });
const data = (() => {
  const { texts, labels } = keywordData(48, 11);
  return texts.map((text, i) => ({ text, label: labels[i] }));
})();
const batchOf = (lossWeight: number): TrainBatch => ({ inputs: { tokenIds: new Int32Array(1), batchSize: 1, sequenceLength: 1 }, examples: 1, tokens: 1, lossWeight });

describe('metrics', () => {
  it('sparse categorical accuracy weighs rows by mask weights and skips -100, over all targets', async () => {
    // 5 rows x 4 classes; argmax per row: 2, 0, 3, 1, 1.
    const logits = [0, 1, 5, 2, 9, 0, 0, 0, 1, 2, 3, 4, 0, 7, 1, 1, 0, 2, 1, 1];
    const labels = [2, 1, 3, -100, 1];
    const weights = [1, 0.5, 2, 3, 0];
    const acc = new SparseCategoricalAccuracy();
    tidy(() => {
      const out = (w?: number[]): TaskOutput => ({
        loss: tensor([0], []),
        targets: [{ logits: tensor(logits, [5, 4]), labels: tensor(Int32Array.from(labels)), weights: w ? tensor(w) : undefined }],
      });
      acc.update(out(weights));
      expect(acc.value([1 + 2, 1 + 0.5 + 2 + 0])).toBeCloseTo(3 / 3.5);
    });
    expect(await acc.result()).toBeCloseTo((1 + 2) / (1 + 0.5 + 2 + 0), 6); // row 3 ignored; row 4 weight 0
    acc.reset();
    tidy(() => acc.update({ loss: tensor([0], []), targets: [{ logits: tensor(logits, [5, 4]), labels: tensor(Int32Array.from(labels)) }] }));
    expect(await acc.result()).toBeCloseTo(3 / 4, 6);
    acc.dispose();
  });

  it('binary accuracy and the weighted loss mean; interval values between reads', async () => {
    const bin = new BinaryAccuracy();
    tidy(() => bin.update({ loss: tensor([0], []), targets: [{ logits: tensor([3, -2, 0.5, -0.1], [4, 1]), labels: tensor(Int32Array.of(1, 1, 1, 0)), binary: true }] }));
    expect(await bin.result()).toBeCloseTo(3 / 4, 6);
    bin.dispose();

    const set = new MetricSet([]);
    expect(set.names).toEqual(['loss']);
    tidy(() => set.update({ loss: tensor([2], []), targets: [] }, batchOf(3)));
    const first = await set.read();
    tidy(() => set.update({ loss: tensor([4], []), targets: [] }, batchOf(1)));
    const second = await set.read();
    expect(first.total.loss).toBeCloseTo(2, 6);
    expect(second.total.loss).toBeCloseTo((2 * 3 + 4) / 4, 6); // the mean over targets, not over batches
    expect(second.interval.loss).toBeCloseTo(4, 6);
    set.reset();
    expect(Number.isNaN((await set.read()).total.loss)).toBe(true); // nothing counted yet
    set.dispose();
    expect(() => new MetricSet(['accuracy', new SparseCategoricalAccuracy()])).toThrow("two metrics are named 'accuracy'");
  });
});

describe('EarlyStopping', () => {
  const fakeCtx = (stops: string[]) => ({ stop: (r: string) => stops.push(r), logKeys: ['loss', 'val_loss'], hasValidation: true }) as unknown as TrainContext;

  it('counts epochs without improvement as Keras does (patience, minDelta, mode, baseline)', () => {
    const run = (values: number[], options: ConstructorParameters<typeof EarlyStopping>[0]) => {
      const stops: string[] = [];
      const es = new EarlyStopping(options);
      const ctx = fakeCtx(stops);
      es.onTrainBegin(ctx);
      let epoch = 0;
      for (; epoch < values.length && !stops.length; epoch++) es.onEpochEnd(epoch, { loss: values[epoch], val_loss: values[epoch] }, ctx);
      return { epochs: epoch, stops, best: es.best, bestEpoch: es.bestEpoch };
    };
    expect(run([5, 4, 4.5, 4.2, 3], { patience: 2 })).toMatchObject({ epochs: 4, best: 4, bestEpoch: 1 });
    expect(run([5, 4, 4.5, 4.2, 3], { patience: 2 }).stops[0]).toBe('early stopping: val_loss did not improve for 2 epochs (best 4.000 at epoch 2)');
    expect(run([5, 4, 3.95, 3.9], { patience: 1, minDelta: 0.1 })).toMatchObject({ epochs: 3, best: 4 });
    expect(() => run([0.5], { monitor: 'val_accuracy' })).toThrow("EarlyStopping: monitor 'val_accuracy' is not a log key of this fit (loss, val_loss)");
    expect(run([0.5, 0.6, 0.55, 0.7], { monitor: 'loss', mode: 'max', patience: 0 })).toMatchObject({ epochs: 3, best: 0.6 });
    // A baseline not yet beaten keeps the count running through improving epochs.
    expect(run([5, 4, 3.5, 3.6, 3.7], { patience: 2, baseline: 1 })).toMatchObject({ epochs: 4 });
    expect(run([5, 4, 3.5, 3.6, 3.7], { patience: 2 })).toMatchObject({ epochs: 5 });
    expect(() => new EarlyStopping({ patience: -1 })).toThrow('patience must be an integer >= 0');
  });

  it('stops fit and restores the best epoch\'s weights', async () => {
    const model = new BertClassifier(config, { numLabels: 2, seed: 1 });
    let afterFirst: Record<string, Float32Array> = {};
    const grab: Callback = { onEpochEnd: async (epoch) => { if (epoch === 0) afterFirst = await weightsOf(model); } };
    // The training loss falls every epoch, so in 'max' mode epoch 0 stays the best.
    const es = new EarlyStopping({ monitor: 'loss', mode: 'max', patience: 1, restoreBestWeights: true });
    const h = await fit(model, data, { task: task(), epochs: 6, batchSize: 8, lr: 3e-3, callbacks: [grab, es], verbose: false });
    expect(h.epochs).toHaveLength(2);
    expect(es.stoppedEpoch).toBe(1);
    expect(h.stopReason).toMatch(/^early stopping: loss did not improve for 1 epoch \(best [\d.]+ at epoch 1\)$/);
    expect(es.restored).toBe(true);
    expect(await weightsOf(model)).toEqual(afterFirst);
    model.dispose();
  });
});

describe('ModelCheckpoint', () => {
  it('writes a loadable checkpoint per epoch, atomically, with trainer_state.json', async () => {
    const model = new BertClassifier(config, { numLabels: 2, seed: 2, labelNames: ['negative', 'positive'] });
    const ckpt = new ModelCheckpoint({ dir: join(root, 'every', 'epoch-{epoch}'), tokenizer, saveOptimizer: true });
    await fit(model, data, { task: task(), epochs: 2, batchSize: 16, validationData: data.slice(0, 16), callbacks: [ckpt], verbose: false });
    expect(ckpt.saved.map((s) => s.dir)).toEqual([join(root, 'every', 'epoch-1'), join(root, 'every', 'epoch-2')]);
    const dir = ckpt.saved[1].dir;
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'optimizer.safetensors', 'trainer_state.json', 'training_state.json', 'vocab.txt']);
    const state = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8'));
    expect(state).toMatchObject({ epoch: 2, global_step: 6, monitor: 'val_loss' });
    expect(Object.keys(state.logs)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    const { model: loaded } = await loadCheckpoint(dir, { quiet: true });
    expect(await weightsOf(loaded)).toEqual(await weightsOf(model));
    const texts = data.slice(0, 5).map((d) => d.text);
    const [p1, p2] = await Promise.all([predict(model, texts, { task: task() }), predict(loaded as BertClassifier, texts, { task: task() })]);
    expect(p2.map((p) => Array.from(p.logits))).toEqual(p1.map((p) => Array.from(p.logits)));
    expect(loaded.config.id2label).toEqual({ 0: 'negative', 1: 'positive' });
    loaded.dispose();
    model.dispose();
  });

  it('saves only improvements with saveBestOnly', async () => {
    const model = new BertClassifier(config, { numLabels: 2, seed: 3 });
    const dir = join(root, 'best');
    const ckpt = new ModelCheckpoint({ dir, monitor: 'loss', mode: 'max', saveBestOnly: true });
    await fit(model, data, { task: task(), epochs: 3, batchSize: 16, lr: 3e-3, callbacks: [ckpt], verbose: false });
    expect(ckpt.saved.map((s) => s.epoch)).toEqual([0]); // the loss only fell afterwards
    expect(JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8'))).toMatchObject({ epoch: 1, best_epoch: 1 });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await expect(fit(model, data, { task: task(), callbacks: [new ModelCheckpoint({ dir, monitor: 'val_accuracy' })], verbose: false })).rejects.toThrow(
      "ModelCheckpoint: monitor 'val_accuracy' needs validation data",
    );
    model.dispose();
  });
});

describe('learning curves and printouts', () => {
  it('LearningCurves writes the loss and accuracy panels with training and validation series', async () => {
    const model = new BertClassifier(config, { numLabels: 2, seed: 4 });
    const path = join(root, 'curves', 'learning.svg');
    const h = await fit(model, data, { task: task(), epochs: 3, batchSize: 16, validationData: data.slice(0, 16), callbacks: [new LearningCurves(path)], verbose: false });
    const svg = readFileSync(path, 'utf8');
    expect(svg).toBe(learningCurvesSvg(h));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="640"')).toBe(true);
    for (const name of ['training loss', 'validation loss', 'training accuracy', 'validation accuracy']) expect(svg).toContain(`>${name}</text>`);
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg.match(/stroke-dasharray="6 4" points=/g)).toHaveLength(2); // validation dashed
    expect(svg.match(/<circle/g)).toHaveLength(12); // 3 epochs x 4 series
    expect(existsSync(path)).toBe(true);
    model.dispose();
  });

  it('draws a history without validation or accuracy, and formats fill-mask lines', () => {
    const h = new History();
    h.epochs.push({ epoch: 0, logs: { loss: 2 }, steps: 1, examples: 1, tokens: 1, seconds: 1, tokensPerSecond: 1, lr: 0 });
    h.epochs.push({ epoch: 1, logs: { loss: 1 }, steps: 1, examples: 1, tokens: 1, seconds: 1, tokensPerSecond: 1, lr: 0 });
    const svg = learningCurvesSvg(h, { title: 'MLM' });
    expect(svg.match(/<svg /g)).toHaveLength(2);
    expect(svg).toContain('MLM: loss');
    expect(h.history).toEqual({ loss: [2, 1] });
    expect(formatFillMask(0, 'I have watched this [MASK].', [
      { token: 'movie', id: 9, score: 0.44448906, sequence: 'I have watched this movie.' },
      { token: '##s', id: 7, score: 0.1, sequence: 'I have watched thiss.' },
    ])).toEqual([
      'Epoch 1 fill-mask: I have watched this [MASK].',
      '  1. movie    0.4445  I have watched this movie.',
      '  2. ##s      0.1000  I have watched thiss.',
    ]);
  });
});
