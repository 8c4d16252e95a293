// Mixed-precision training (fit's dtype 'f16'): f16 activations and gradients, f32 weights and
// AdamW state, dynamic loss scaling. It must train like f32, skip (not apply) a step whose
// gradients overflow, and recover.
import { beforeAll, describe, expect, it } from 'vitest';
import { BertForMaskedLM, engine, fit, maskedLM } from '../src/node.ts';
import { LossScaler } from '../src/optim/loss-scale.ts';
import { gpu } from './util/gpu.ts';
import { keywordData, testTokenizer, tinyConfig } from './util/train-fixtures.ts';

beforeAll(gpu);

const tokenizer = testTokenizer();
const texts = keywordData(96, 7).texts;
const task = () => maskedLM({ tokenizer, sequenceLength: 16, seed: 3 });
const model = (seed: number) => new BertForMaskedLM(tinyConfig(tokenizer.vocabSize, { max_position_embeddings: 16, hidden_size: 64, intermediate_size: 128 }), { seed });

async function train(seed: number, dtype: 'f32' | 'f16', extra: Record<string, unknown> = {}) {
  const m = model(seed);
  const history = await fit(m, texts, { task: task(), epochs: 12, batchSize: 16, lr: 5e-3, verbose: false, logEvery: 1, dtype, ...extra });
  return { m, history };
}

describe('mixed precision (f16)', () => {
  it('trains BERT MLM to the f32 loss within seed-to-seed noise, with loss scaling logged', async () => {
    // 72 steps. Noise: how far the loss curves of three f32 seeds lie apart. The f16 run (seed 1)
    // must follow seed 1's f32 curve far closer than that, every epoch.
    const f32: number[][] = [];
    for (const seed of [1, 2, 3]) {
      const { m, history } = await train(seed, 'f32');
      f32.push(history.series('loss'));
      m.dispose();
    }
    const { m, history } = await train(1, 'f16');
    const f16 = history.series('loss');
    // Mean absolute gap between two per-epoch loss curves.
    const gap = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + Math.abs(x - b[i]), 0) / a.length;
    const noise = Math.min(gap(f32[0], f32[1]), gap(f32[0], f32[2]), gap(f32[1], f32[2]));
    console.log(`f16 loss ${f16.map((x) => x.toFixed(3)).join(' ')}\nf32 loss ${f32[0].map((x) => x.toFixed(3)).join(' ')}\nmean gap f16 vs f32 ${gap(f16, f32[0]).toFixed(4)}, smallest seed-to-seed ${noise.toFixed(4)}; skipped ${history.epochs.at(-1)!.logs.skipped_steps}`);
    expect(f16[0]).toBeGreaterThan(f16.at(-1)! + 0.5); // it learned
    expect(gap(f16, f32[0])).toBeLessThan(noise);
    expect(Math.abs(f16.at(-1)! - f32[0].at(-1)!)).toBeLessThan(noise);
    expect(history.series('loss_scale').every((s) => s > 0)).toBe(true);
    expect(history.epochs[0].logs.skipped_steps).toBeTypeOf('number');
    expect(m.dtype).toBe('f32'); // fit restores the model's own dtype
    m.dispose();
  });

  it('skips the steps whose gradients overflow (weights untouched), halves the scale and recovers', async () => {
    // 2^40 overflows f16 gradients (max 65504) at once: the first steps must be skipped.
    const m = model(4);
    const before = await m.bert.embeddings.wordEmbeddings.weight.value.data();
    const h1 = await fit(m, texts.slice(0, 16), { task: task(), epochs: 1, batchSize: 16, verbose: false, dtype: 'f16', lossScale: { initScale: 2 ** 40 } });
    expect(h1.epochs[0].logs.skipped_steps).toBe(1);
    expect(h1.epochs[0].logs.loss_scale).toBe(2 ** 39);
    expect(Array.from(await m.bert.embeddings.wordEmbeddings.weight.value.data())).toEqual(Array.from(before));
    const h2 = await fit(m, texts, { task: task(), epochs: 4, batchSize: 16, verbose: false, dtype: 'f16', lossScale: { initScale: 2 ** 40, growthInterval: 5 } });
    const skipped = h2.epochs.at(-1)!.logs.skipped_steps;
    expect(skipped).toBeGreaterThan(5);
    expect(skipped).toBeLessThan(24);
    // After the overflows stop it trains: the weights moved, the loss is finite and falling.
    expect(Array.from(await m.bert.embeddings.wordEmbeddings.weight.value.data())).not.toEqual(Array.from(before));
    const losses = h2.series('loss');
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    m.dispose();
  });

  it('the scale rule: halve and count on overflow, grow after growthInterval clean steps', () => {
    const s = new LossScaler({ initScale: 1024, growthInterval: 3 });
    s.update(true);
    s.update(true);
    expect(s.scale).toBe(1024);
    s.update(true);
    expect(s.scale).toBe(2048);
    s.update(true);
    s.update(false);
    expect([s.scale, s.skipped]).toEqual([1024, 1]);
    s.update(true);
    s.update(true);
    expect(s.scale).toBe(1024); // the clean run restarted at the overflow
    expect(() => new LossScaler({ backoffFactor: 2 })).toThrow('backoffFactor must be in (0, 1)');
  });

  it("dtype 'f16' without shader-f16 is an error naming the feature; bad dtypes name the option", async () => {
    const m = model(5);
    const ctx = engine().ctx as { hasF16: boolean };
    const had = ctx.hasF16;
    ctx.hasF16 = false;
    try {
      await expect(fit(m, texts, { task: task(), verbose: false, dtype: 'f16' })).rejects.toThrow("fit: dtype 'f16' needs the WebGPU feature 'shader-f16'");
      expect(() => { m.dtype = 'f16'; }).toThrow("BertModel.dtype: dtype 'f16' needs the WebGPU feature 'shader-f16'");
      m.dtype = 'auto';
      expect(m.dtype).toBe('f32');
    } finally {
      ctx.hasF16 = had;
    }
    await expect(fit(m, texts, { task: task(), verbose: false, dtype: 'f64' as never })).rejects.toThrow(`fit: dtype must be 'f32', 'f16' or 'auto', got "f64"`);
    m.dispose();
  });
});

describe('pipelines in f16 (the shipped preset)', () => {
  it("fill-mask and feature extraction give the f32 results with dtype 'f16'", async () => {
    const { FillMask, FeatureExtraction, PRESETS } = await import('../src/node.ts');
    const name = PRESETS[0].name;
    const texts = ['the [MASK] of the united states', 'it was a [MASK] day in the city .'];
    const f32 = await FillMask.fromPretrained(name);
    const f16 = await FillMask.fromPretrained(name, { dtype: 'f16' });
    expect([f32.dtype, f16.dtype]).toEqual(['f32', 'f16']);
    for (const text of texts) {
      const [a, b] = [await f32.predict(text, { topK: 3 }), await f16.predict(text, { topK: 3 })];
      expect(b.map((c) => c.token)).toEqual(a.map((c) => c.token));
      // Probabilities from f16-stored logits: each logit is within ~u |logit| of f32's, so each
      // probability within a few percent (|logits| < 20 here: exp(20 u) - 1 < 1%).
      b.forEach((c, i) => expect(Math.abs(c.score - a[i].score)).toBeLessThan(0.02 * a[i].score + 1e-4));
    }
    f32.dispose();
    f16.dispose();
    const [e32, e16] = [await FeatureExtraction.fromPretrained(name), await FeatureExtraction.fromPretrained(name, { dtype: 'f16' })];
    const [x, y] = [await e32.predict(texts[1]), await e16.predict(texts[1])];
    const [u, v] = [x.mean, y.mean];
    let num = 0;
    let den = 0;
    for (let i = 0; i < u.length; i++) { num += (u[i] - v[i]) ** 2; den += u[i] ** 2; }
    // Norm-wise: the preset's 4 layers store ~8 tensors each on the path, first-order <= 32 u.
    expect(Math.sqrt(num / den)).toBeLessThan(32 * 2 ** -11);
    e32.dispose();
    e16.dispose();
  });
});

describe("weights stored in f16 for inference ({ weights: 'f16' })", () => {
  it('an f16 checkpoint goes to the GPU as it is and predicts as its f32 load does; training it is refused', async () => {
    const { BertForMaskedLM: MLM, PRESETS, readSafetensors, tensor: t, noGrad, tidy: td } = await import('../src/node.ts');
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { packageFolder } = await import('../src/util/package-root.node.ts');
    const dir = join(packageFolder('presets')!, PRESETS[0].folder);
    const half = await MLM.fromPretrained(dir, { weights: 'f16' });
    const full = await MLM.fromPretrained(dir);
    const file = readSafetensors(readFileSync(join(dir, 'model.safetensors')));
    const word = half.bert.embeddings.wordEmbeddings.weight;
    expect(word.value.dtype).toBe('f16');
    expect(half.bert.embeddings.norm.weight.value.dtype).toBe('f32'); // LayerNorm and biases stay f32
    // The GPU holds exactly the checkpoint's halves (downloads decode them; re-encoding gives the bits).
    const { f32ToF16Bits } = await import('../src/gpu/dtype.ts');
    const bits = Uint16Array.from(await word.value.data(), f32ToF16Bits);
    const info = file.tensors.get('bert.embeddings.word_embeddings.weight')!;
    expect(info.dtype).toBe('F16');
    expect(Buffer.from(bits.buffer).equals(Buffer.from(file.bytes('bert.embeddings.word_embeddings.weight')))).toBe(true);
    // Same values, so the same logits (f32 activations; f16 matrices are read exactly).
    const ids = t(Int32Array.from([2, 40, 4, 77, 3]), [1, 5], 'i32');
    const run = (m: InstanceType<typeof MLM>) => noGrad(() => td(() => m.forward({ inputIds: ids }).logits));
    const [a, b] = [await run(full).data(), await run(half).data()];
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-4);
    await expect(fit(half, texts, { task: task(), verbose: false })).rejects.toThrow("is stored in f16 (inference storage, e.g. loaded with { weights: 'f16' })");
    // Half the bytes of the matrices.
    const bytes = (m: InstanceType<typeof MLM>) => m.parameters().reduce((s, p) => s + p.value.storage.bytes, 0);
    expect(bytes(half) / bytes(full)).toBeLessThan(0.55);
    ids.dispose();
    half.dispose();
    full.dispose();
  });
});
