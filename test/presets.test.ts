// The library's own presets (src/hub/presets.ts): each ships in presets/<folder> in the Hugging
// Face layout with its model card, loads by name with no network, and is what its card says it is.
// Also new heads on a pretrained encoder: TextClassifier.fromPretrained(name, { labels }) and
// QuestionAnswering.fromPretrained(name) on a fill-mask checkpoint.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BertForMaskedLM, FillMask, PRESETS, QuestionAnswering, TextClassifier, presetNamed, readSafetensors } from '../src/node.ts';
import { packageFolder } from '../src/util/package-root.node.ts';
import { weightsOf } from './util/bert-fixtures.ts';
import { gpu } from './util/gpu.ts';
import { testTokenizer, tinyConfig } from './util/train-fixtures.ts';

beforeAll(gpu);
const root = mkdtempSync(join(tmpdir(), 'wgb-presets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const noNetwork = (() => Promise.reject(new Error('a preset must not touch the network'))) as typeof fetch;

describe.each(PRESETS.map((p) => [p.name, p] as const))('preset %s', (name, preset) => {
  const dir = join(packageFolder('presets')!, preset.folder);

  it('ships the Hugging Face layout, float16 weights and a model card with its figures', () => {
    for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'pipeline.json', 'README.md', 'pretraining.json', 'curves.svg']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const weights = readSafetensors(readFileSync(join(dir, 'model.safetensors')));
    expect(new Set([...weights.tensors.values()].map((t) => t.dtype))).toEqual(new Set(['F16']));
    const card = JSON.parse(readFileSync(join(dir, 'pretraining.json'), 'utf8'));
    expect(card.name).toBe(name);
    // Clearly learnt: well above always predicting the most frequent token.
    expect(card.heldOutMaskedAccuracy).toBeGreaterThan(2 * card.baselineAccuracy);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(`${(card.heldOutMaskedAccuracy * 100).toFixed(1)}%`);
  });

  it('loads by name offline, the same model as its directory', async () => {
    expect(presetNamed(name)).toBe(preset);
    const [byName, byDir] = [await FillMask.fromPretrained(name, { fetch: noNetwork }), await FillMask.fromPretrained(dir)];
    expect(await weightsOf(byName.model)).toEqual(await weightsOf(byDir.model));
    const text = 'the [MASK] of the united states';
    const top = await byName.predict(text);
    expect(top.map((c) => c.token)).toEqual((await byDir.predict(text)).map((c) => c.token));
    expect(top[0].score).toBeGreaterThan(0.05);
    byName.dispose();
    byDir.dispose();
  });
});

describe('a new head on a pretrained encoder', () => {
  let fillDir: string;
  let encoder: Record<string, Float32Array>;
  beforeAll(async () => {
    const tokenizer = testTokenizer();
    const fill = new FillMask({ model: new BertForMaskedLM(tinyConfig(tokenizer.vocabSize), { seed: 4 }), tokenizer, sequenceLength: 16 });
    fillDir = join(root, 'fill');
    await fill.save(fillDir);
    encoder = Object.fromEntries(Object.entries(await weightsOf(fill.model)).filter(([k]) => k.startsWith('bert.')));
    fill.dispose();
  });
  const encoderOf = async (m: Parameters<typeof weightsOf>[0]) => Object.fromEntries(Object.entries(await weightsOf(m)).filter(([k]) => k in encoder));

  it('TextClassifier.fromPretrained(fill-mask, { labels }) keeps the encoder and adds a classifier', async () => {
    const c = await TextClassifier.fromPretrained(fillDir, { labels: ['ham', 'spam'], seed: 2 });
    expect(c.labels).toEqual(['ham', 'spam']);
    expect(c.sequenceLength).toBe(16);
    expect(await encoderOf(c.model)).toEqual(encoder);
    expect((await c.predict('the cat')).label).toMatch(/^(ham|spam)$/);
    const saved = join(root, 'classifier');
    await c.save(saved);
    c.dispose();
    await expect(TextClassifier.fromPretrained(fillDir)).rejects.toThrow("the checkpoint is a 'fill-mask' model, not a classifier; pass { labels: [...] }");
    await expect(TextClassifier.fromPretrained(saved, { labels: ['a', 'b'] })).rejects.toThrow('the checkpoint is a classifier of ham, spam; labels a, b were asked for');
    const again = await TextClassifier.fromPretrained(saved, { labels: ['ham', 'spam'] });
    expect(again.labels).toEqual(['ham', 'spam']);
    again.dispose();
  });

  it('QuestionAnswering.fromPretrained(fill-mask) keeps the encoder and adds a span head', async () => {
    const qa = await QuestionAnswering.fromPretrained(fillDir, { seed: 1 });
    expect(await encoderOf(qa.model)).toEqual(encoder);
    expect(Object.keys(await weightsOf(qa.model))).toContain('qa_outputs.weight');
    qa.dispose();
  });
});
