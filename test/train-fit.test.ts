// fit / evaluate / predict on a learnable classification task: learning, agreement with manual
// forward passes, flat memory over many steps, frozen backbones, schedules, progress states,
// determinism, and the error paths.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdamW, BertClassifier, Dataset, EarlyStopping, backward, bertInputs, classification, evaluate, fit, memory, packTexts, predict, tensor, tidy,
  type Callback, type TrainProgress,
} from '../src/node.ts';
import type { Module } from '../src/nn/module.ts';
import { gpu } from './util/gpu.ts';
import { keywordData, testTokenizer, tinyConfig } from './util/train-fixtures.ts';
import { weightsOf } from './util/bert-fixtures.ts';

beforeAll(gpu);

const tokenizer = testTokenizer();
const config = tinyConfig(tokenizer.vocabSize);
const task = (padding: 'max' | 'longest' = 'longest') => classification({ tokenizer, sequenceLength: 32, padding });
const asExamples = ({ texts, labels }: { texts: string[]; labels: number[] }) => texts.map((text, i) => ({ text, label: labels[i] }));
const train = asExamples(keywordData(192, 1));
const val = asExamples(keywordData(48, 2));

async function bits(model: Module): Promise<Record<string, Uint32Array>> {
  const w = await weightsOf(model);
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, new Uint32Array(v.buffer, v.byteOffset, v.length)]));
}

describe('fit', () => {
  it('learns a keyword task to high validation accuracy, with history, throughput and peak memory', async () => {
    const model = new BertClassifier(config, { numLabels: 2, seed: 1 });
    const history = await fit(model, train, { task: task(), epochs: 4, batchSize: 16, lr: 3e-3, validationData: val, verbose: false, logEvery: 4 });
    expect(history.keys).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    const loss = history.series('loss');
    expect(loss[0]).toBeGreaterThan(0.5);
    expect(loss[3]).toBeLessThan(0.1);
    expect(history.series('val_accuracy')[3]).toBeGreaterThanOrEqual(0.95);
    expect(history.epochs.map((e) => [e.steps, e.examples])).toEqual(Array(4).fill([12, 192]));
    // Step logs every 4 steps plus one at each epoch end, global step numbers.
    expect(history.steps.map((s) => s.step).slice(0, 4)).toEqual([4, 8, 12, 16]);
    expect(history.steps.every((s) => s.tokensPerSecond > 0 && s.lr === 3e-3)).toBe(true);
    expect(history.tokensPerSecond).toBeGreaterThan(0);
    expect(history.peakMemoryBytes).toBeGreaterThan(0);
    expect(history.stopReason).toBeNull();
    // The epoch loss is the mean over examples of per-batch means weighted by batch size.
    const evalLogs = await evaluate(model, val, { task: task(), batchSize: 7 });
    expect(evalLogs.loss).toBeCloseTo(history.last!.val_loss, 5);
    expect(evalLogs.accuracy).toBeCloseTo(history.last!.val_accuracy, 6);
    model.dispose();
  });

  it('evaluate and predict agree with a manual forward pass', async () => {
    const model = new BertClassifier(config, { numLabels: 3, seed: 2 });
    const data = val.slice(0, 13).map((e, i) => ({ ...e, label: i % 3 }));
    const logs = await evaluate(model, data, { task: task('max'), batchSize: 5 });
    const preds = await predict(model, data.map((e) => e.text), { task: task('max'), batchSize: 4 });
    const packed = packTexts(tokenizer, data.map((e) => e.text), { sequenceLength: 32, padding: 'max' }).batch;
    model.eval();
    const out = tidy(() => {
      const o = model.forward({ ...bertInputs(packed), labels: tensor(Int32Array.from(data.map((e) => e.label)), [13], 'i32') });
      return [o.loss!, o.logits];
    });
    model.train();
    const [loss, logits] = await Promise.all(out.map((t) => t.data()));
    out.forEach((t) => t.dispose());
    expect(logs.loss).toBeCloseTo(loss[0], 5);
    let correct = 0;
    preds.forEach((p, i) => {
      const row = Array.from(logits.slice(i * 3, i * 3 + 3));
      const m = Math.max(...row);
      const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
      row.forEach((v, c) => expect(p.probabilities[c]).toBeCloseTo(Math.exp(v - m) / z, 5));
      expect(p.label).toBe(row.indexOf(m));
      expect(p.score).toBe(p.probabilities[p.label]);
      if (p.label === data[i].label) correct++;
    });
    expect(logs.accuracy).toBeCloseTo(correct / 13, 6);
    model.dispose();
  });

  it('keeps live tensors and GPU memory flat over an epoch of many steps', async () => {
    const model = new BertClassifier(config, { numLabels: 2, seed: 3 });
    const samples: ReturnType<typeof memory>[] = [];
    const probe: Callback = { onStepEnd: () => void samples.push(memory()) };
    const history = await fit(model, train, { task: task('max'), epochs: 1, batchSize: 4, lr: 1e-3, callbacks: [probe], verbose: false, logEvery: 10 });
    expect(samples).toHaveLength(48);
    // From the second step (AdamW moments exist) every step holds the same tensors and bytes;
    // the pool stops growing once the step's allocation pattern has settled.
    const live = samples.slice(1).map((m) => [m.liveTensors, m.bytesInUse]);
    expect(live).toEqual(live.map(() => live[0]));
    const pool = samples.slice(5).map((m) => [m.bytesInUse + m.bytesPooled, m.buffersCreated]);
    expect(pool).toEqual(pool.map(() => pool[0]));
    expect(history.peakMemoryBytes).toBe(Math.max(...samples.map((m) => m.bytesInUse + m.bytesPooled)));
    model.dispose();
  });

  it('leaves a frozen backbone bit-identical; then unfrozen with a lower LR it trains (seed 000)', async () => {
    const model = new BertClassifier(config, { numLabels: 2, seed: 4, pooling: 'max', hiddenSize: 16 });
    const before = await bits(model);
    model.bert.trainable = false;
    const frozen = await fit(model, train.slice(0, 64), { task: task(), epochs: 2, batchSize: 16, lr: 1e-2, verbose: false });
    const mid = await bits(model);
    for (const name of Object.keys(before)) {
      if (name.startsWith('bert.')) expect(mid[name], name).toEqual(before[name]);
      else expect(mid[name], name).not.toEqual(before[name]);
    }
    model.bert.trainable = true;
    const unfrozen = await fit(model, train.slice(0, 64), { task: task(), epochs: 1, batchSize: 16, lr: 1e-3, verbose: false });
    const after = await bits(model);
    expect(after['bert.encoder.layer.0.attention.self.query.weight']).not.toEqual(mid['bert.encoder.layer.0.attention.self.query.weight']);
    const all = frozen.extend(unfrozen);
    expect(all.epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
    model.dispose();
  });

  it('is deterministic: the same seeds give bit-identical weights', async () => {
    const run = async () => {
      const model = new BertClassifier({ ...config, hidden_dropout_prob: 0.1 }, { numLabels: 2, seed: 5 });
      await fit(model, train.slice(0, 48), { task: task(), epochs: 2, batchSize: 8, lr: 2e-3, seed: 7, verbose: false });
      const w = await bits(model);
      model.dispose();
      return w;
    };
    expect(await run()).toEqual(await run());
  });

  it('follows a linear warmup / decay schedule over the planned steps and stops at `steps`', async () => {
    const model = new BertClassifier(config, { numLabels: 2, seed: 6 });
    const h = await fit(model, train.slice(0, 40), { task: task(), epochs: 2, batchSize: 4, lr: 1e-3, schedule: 'linear', warmup: 0.1, logEvery: 1, verbose: false });
    const lrs = h.steps.map((s) => s.lr);
    expect(lrs).toHaveLength(20);
    expect(lrs[0]).toBe(0); // transformers' convention: the first update has rate 0 with a warmup
    expect(lrs[2]).toBeCloseTo(1e-3, 12); // the peak after 2 of 20 warmup steps
    expect(lrs[19]).toBeCloseTo(1e-3 / 18, 12);
    const capped = await fit(model, train.slice(0, 40), { task: task(), steps: 13, batchSize: 4, verbose: false });
    expect(capped.epochs.map((e) => e.steps)).toEqual([10, 3]);
    model.dispose();
  });

  it('reports progress through onProgress and the bar, and stops on request', async () => {
    const model = new BertClassifier(config, { numLabels: 2, seed: 7 });
    const states: TrainProgress[] = [];
    const lines: string[] = [];
    const stopper: Callback = { onStepEnd: (info, ctx) => { if (info.step === 5) ctx.stop('enough'); } };
    const h = await fit(model, train.slice(0, 32), {
      task: task(), epochs: 3, batchSize: 8, validationData: val.slice(0, 8), logEvery: 2,
      onProgress: (p) => states.push(p), output: { isTTY: false, write: (s: string) => lines.push(s) },
    });
    expect(states.filter((s) => s.phase === 'train').map((s) => s.step)).toEqual([1, 2, 3, 4, 4, 1, 2, 3, 4, 4, 1, 2, 3, 4, 4]);
    const ends = states.filter((s) => s.phase === 'epoch-end');
    expect(ends).toHaveLength(3);
    expect(Object.keys(ends[0].logs)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    expect(states.some((s) => s.phase === 'validate')).toBe(true);
    expect(states[1].logs.loss).toBeGreaterThan(0); // read at step 2
    expect(states.every((s) => s.tokensPerSecond >= 0 && s.epochs === 3 && s.stepsPerEpoch === 4)).toBe(true);
    // Step 1 is still on the GPU when it is reported: no rate or ETA yet; step 2's read waited for both.
    expect([states[0].tokensPerSecond, states[0].etaMs]).toEqual([0, undefined]);
    expect(states[1].tokensPerSecond).toBeGreaterThan(0);
    expect(states[1].etaMs).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(/^Epoch 3\/3 \[#+\] 100% 4\/4 step .* tok\/s=[\d.]+k? loss=[\d.]+ accuracy=[\d.]+ val_loss=[\d.]+ val_accuracy=[\d.]+\n$/);

    const stopped = await fit(model, train.slice(0, 32), { task: task(), epochs: 3, batchSize: 8, callbacks: [stopper], verbose: false });
    expect(stopped.stopReason).toBe('enough');
    expect(stopped.epochs.map((e) => e.steps)).toEqual([4, 1]);
    expect(h.stopReason).toBeNull();
    model.dispose();
  });

  it('takes pre-packed host batches and streams, and stops on a NaN loss', async () => {
    const model = new BertClassifier(config, { numLabels: 2, seed: 8 });
    const packed = [0, 1, 2].map((b) => {
      const part = train.slice(b * 8, b * 8 + 8);
      return { ...packTexts(tokenizer, part.map((e) => e.text), { sequenceLength: 32 }).batch, labels: Int32Array.from(part.map((e) => e.label)) };
    });
    const h = await fit(model, packed, { epochs: 2, verbose: false }); // no task: the model's, for host batches
    expect(h.epochs.map((e) => [e.steps, e.examples])).toEqual([[3, 24], [3, 24]]);
    const stream = Dataset.from(function* () { yield* train.slice(0, 20); });
    const s = await fit(model, stream, { task: task(), batchSize: 8, verbose: false });
    expect(s.epochs[0].steps).toBe(3);
    const nan = await fit(model, train.slice(0, 32), { task: task(), epochs: 2, batchSize: 8, lr: 1e38, weightDecay: 0, maxGradNorm: Infinity, verbose: false, logEvery: 1 });
    expect(nan.stopReason).toMatch(/^the loss became NaN by step \d+ \(epoch 1\)/);
    model.dispose();
  });

  it('gives clear errors', async () => {
    const model = new BertClassifier(config, { numLabels: 2, seed: 9 });
    await expect(fit(model, [], { task: task() })).rejects.toThrow('fit: the training data is empty');
    await expect(fit(model, [{ text: 'a cat', label: 2 }], { task: task(), verbose: false })).rejects.toThrow(
      "classification task: example 0 has label 2, outside the model's 2 labels (LABEL_0, LABEL_1)",
    );
    await expect(fit(model, [{ text: 'a cat', label: 'happy' }], { task: task(), verbose: false })).rejects.toThrow(
      'has label "happy", which is not one of the 2 class names (LABEL_0, LABEL_1)',
    );
    await expect(fit(model, [{ text: 'a cat', label: 0 }], { task: classification({ tokenizer, labels: ['a', 'b', 'c'] }) })).rejects.toThrow(
      'classification task: 3 label names (a, b, c) but the model has 2 labels',
    );
    await expect(fit(model, [{ text: 'a cat', label: 0 }], { verbose: false })).rejects.toThrow('classification task: raw text examples need a tokenizer');
    await expect(fit(model, train, { task: task(), callbacks: [new EarlyStopping()] })).rejects.toThrow(
      "EarlyStopping: monitor 'val_loss' needs validation data (fit's validationData); the logs will have loss, accuracy",
    );
    await expect(fit(model, train, { task: task(), optimizer: new AdamW(model), lr: 1e-3 })).rejects.toThrow('fit: give either an optimizer or lr');
    await expect(fit(model, Dataset.from(function* () { yield train[0]; }), { task: task(), schedule: 'linear' })).rejects.toThrow(
      "fit: schedule 'linear' needs the total number of steps",
    );
    await expect(fit(model, train, { task: task(), batchSize: 0 })).rejects.toThrow('fit: batchSize must be a positive integer, got 0');
    await expect(evaluate(model, [], { task: task() })).rejects.toThrow('evaluate: the data is empty');
    model.trainable = false;
    await expect(fit(model, train, { task: task() })).rejects.toThrow('fit: every parameter of the model is frozen');
    model.dispose();
  });

  it('matches a hand-written loop step for step (same batches, same updates)', async () => {
    // fit's step is forward, backward, AdamW, zeroGrad inside one tidy: the same numbers as doing it by hand.
    const a = new BertClassifier(config, { numLabels: 2, seed: 10 });
    const b = new BertClassifier(config, { numLabels: 2, seed: 10 });
    const data = train.slice(0, 24);
    await fit(a, data, { task: task('max'), epochs: 1, batchSize: 8, shuffle: false, lr: 1e-3, weightDecay: 0.01, maxGradNorm: 1, verbose: false });
    const opt = new AdamW(b, { lr: 1e-3, weightDecay: 0.01, maxGradNorm: 1 });
    for (let i = 0; i < 24; i += 8) {
      const part = data.slice(i, i + 8);
      const packed = packTexts(tokenizer, part.map((e) => e.text), { sequenceLength: 32, padding: 'max' }).batch;
      tidy(() => {
        backward(b.forward({ ...bertInputs(packed), labels: tensor(Int32Array.from(part.map((e) => e.label)), [8], 'i32') }).loss!);
        opt.step();
        opt.zeroGrad();
      });
    }
    expect(await bits(a)).toEqual(await bits(b));
    opt.dispose();
    a.dispose();
    b.dispose();
  });
});
