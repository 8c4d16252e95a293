// Training end to end: overfitting one batch, a frozen backbone, memory over 50 steps, and
// resuming from a training checkpoint bit-identically.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory, tensor, tidy, type Tensor } from '../src/node.ts';
import { backward } from '../src/autograd/tape.ts';
import { BertForMaskedLM, type MaskedLMInputs } from '../src/nn/masked_lm.ts';
import { BertClassifier } from '../src/nn/classifier.ts';
import type { BertConfig } from '../src/nn/config.ts';
import type { Module } from '../src/nn/module.ts';
import { AdamW } from '../src/optim/adamw.ts';
import { LinearWarmupDecay } from '../src/optim/schedule.ts';
import { loadTrainingState, saveTrainingState } from '../src/io/training.node.ts';
import { MICRO, randomBatch, toInputs, weightsOf, type HostBatch } from './util/bert-fixtures.ts';
import { gpu } from './util/gpu.ts';

beforeAll(gpu);

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const SMALL: BertConfig = { ...MICRO, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 };
const batch = randomBatch(21, [8, 8, 6, 5], 8, SMALL.vocab_size);
const positions = [[1, 3, 6], [0, 4, 7], [2, 3, 5], [0, 1, 4]];
const targets = [[5, 9, 13], [21, 2, 40], [33, 17, 8], [44, 3, 29]];

function mlmInputs(b: HostBatch = batch): MaskedLMInputs {
  return {
    ...toInputs(b),
    maskPositions: tensor(Int32Array.from(positions.flat()), [4, 3], 'i32'),
    labels: tensor(Int32Array.from(targets.flat()), [4, 3], 'i32'),
  };
}

/** One step: forward, backward, update; returns the loss (on the GPU, not waited for). */
function trainStep(model: BertForMaskedLM, opt: AdamW): Tensor {
  return tidy(() => {
    const { loss } = model.forward(mlmInputs());
    backward(loss!);
    opt.step();
    opt.zeroGrad();
    return loss!;
  });
}

/** Reads a scalar and frees it. */
async function value(t: Tensor): Promise<number> {
  const v = (await t.data())[0];
  t.dispose();
  return v;
}

async function bits(model: Module): Promise<Record<string, Uint32Array>> {
  const w = await weightsOf(model);
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, new Uint32Array(v.buffer, v.byteOffset, v.length)]));
}

describe('training', () => {
  it('overfits one masked-LM batch to a loss below 0.05', async () => {
    const model = new BertForMaskedLM({ ...SMALL, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 }, { seed: 3 });
    const opt = new AdamW(model, { lr: 3e-3, weightDecay: 0 });
    let loss = Infinity;
    const first = await value(trainStep(model, opt));
    for (let step = 1; step < 300 && loss >= 0.05; step++) {
      const l = trainStep(model, opt);
      if (step % 10 === 0) loss = await value(l);
      else l.dispose();
    }
    expect(first).toBeGreaterThan(3); // ~ln(50) at the start
    expect(loss).toBeLessThan(0.05);
    opt.dispose();
    model.dispose();
  });

  it('leaves a frozen backbone bit-identical while the head trains, recording nothing for it', async () => {
    const model = new BertClassifier(SMALL, { seed: 4, numLabels: 2 });
    model.bert.trainable = false;
    const opt = new AdamW(model, { lr: 1e-2, maxGradNorm: 1 });
    const before = await bits(model);
    const labels = () => tensor(Int32Array.from([0, 1, 1, 0]), [4], 'i32');
    for (let step = 0; step < 4; step++) {
      tidy(() => {
        const inputs = toInputs(batch);
        expect(model.bert.forward(inputs).pooledOutput!.requiresGrad).toBe(false); // no tape through the backbone
        backward(model.forward({ ...inputs, labels: labels() }).loss!);
        expect(model.bert.parameters().every((p) => p.grad === null)).toBe(true);
        opt.step();
        opt.zeroGrad();
      });
    }
    const after = await bits(model);
    for (const name of Object.keys(before)) {
      if (name.startsWith('bert.')) expect(after[name], name).toEqual(before[name]);
      else expect(after[name], name).not.toEqual(before[name]);
    }
    opt.dispose();
    model.dispose();
  });

  it('keeps live tensors and pooled bytes flat over 50 training steps', async () => {
    const model = new BertForMaskedLM(SMALL, { seed: 5 });
    const opt = new AdamW(model, { lr: new LinearWarmupDecay({ peak: 1e-3, totalSteps: 50 }), maxGradNorm: 1 });
    const samples: ReturnType<typeof memory>[] = [];
    for (let step = 0; step < 50; step++) {
      await value(trainStep(model, opt)); // a training loop reads its loss now and then; here every step
      samples.push(memory());
    }
    // From the second step on (optimizer moments exist) every step holds the same tensors; the
    // pool may still add a buffer or two while the allocation pattern settles, then nothing grows.
    const live = samples.slice(1).map((m) => [m.liveTensors, m.bytesInUse]);
    expect(live).toEqual(live.map(() => live[0]));
    const pool = samples.slice(5).map((m) => [m.bytesInUse + m.bytesPooled, m.buffersCreated]);
    expect(pool).toEqual(pool.map(() => pool[0]));
    opt.dispose();
    model.dispose();
  });

  it('resumes from a training checkpoint bit-identically (weights, AdamW moments, schedule, dropout seeds)', async () => {
    const schedule = () => new LinearWarmupDecay({ peak: 2e-3, totalSteps: 8 });
    const a = new BertForMaskedLM(SMALL, { seed: 6 });
    const optA = new AdamW(a, { lr: schedule(), maxGradNorm: 1 });
    for (let i = 0; i < 3; i++) trainStep(a, optA).dispose();
    const dir = mkdtempSync(join(tmpdir(), 'wgb-resume-'));
    dirs.push(dir);
    await saveTrainingState(dir, { model: a, optimizer: optA });
    const lossesA: number[] = [];
    for (let i = 0; i < 3; i++) lossesA.push(await value(trainStep(a, optA)));

    const b = new BertForMaskedLM(SMALL, { seed: 99 }); // different initial weights and generator
    const optB = new AdamW(b, { lr: schedule(), maxGradNorm: 1 });
    await loadTrainingState(dir, { model: b, optimizer: optB });
    expect(optB.stepCount).toBe(3);
    const lossesB: number[] = [];
    for (let i = 0; i < 3; i++) lossesB.push(await value(trainStep(b, optB)));

    expect(lossesB).toEqual(lossesA);
    expect(await bits(b)).toEqual(await bits(a));
    for (const m of [optA, optB, a, b]) m.dispose();
  });
});
