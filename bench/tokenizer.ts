// Tokenization throughput on the SpamAssassin corpus: this project's WordPieceTokenizer vs Hugging
// Face `tokenizers` (native, Rust; encodeBatch uses all cores) and `@huggingface/tokenizers` (pure JS),
// with one learned vocabulary. Verifies ids against HF native first, then times each tokenizer:
// median of RUNS passes after a warm-up pass. Writes bench/results/tokenizer.json.
//   node --import ./scripts/register-ts.mjs bench/tokenizer.ts [--runs 5] [--vocab 30000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Tokenizer as PureJsTokenizer } from '@huggingface/tokenizers';
import { trainWordPieceVocab, WordPieceTokenizer } from '../src/data/index.ts';
import { loadSpamAssassin } from '../src/data/index.node.ts';
import { ProgressBar } from '../src/util/progress.ts';
import { hfTwin } from '../test/fixtures/hf-reference.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 5);
const VOCAB = arg('vocab', 30000);

const texts = (await loadSpamAssassin().examples.toArray()).map((e) => e.text);
const megabytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0) / 1e6;
console.log(`SpamAssassin: ${texts.length} documents, ${megabytes.toFixed(1)} MB of UTF-8 text`);

let t0 = performance.now();
const vocab = await trainWordPieceVocab(texts, { vocabSize: VOCAB, reservedTokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] });
console.log(`learned a ${vocab.length}-token vocabulary in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const ours = WordPieceTokenizer.fromVocab(vocab);
const native = await hfTwin(ours);
const pureJs = new PureJsTokenizer(ours.toTokenizerJson(), { do_lower_case: true });

// Verify before timing: every document, ids equal to HF native (and pure JS on a sample).
const reference = await native.encodeBatch(texts, { addSpecialTokens: false });
let wrong = 0;
texts.forEach((t, i) => {
  const a = ours.encode(t).ids;
  const b = reference[i]!.getIds();
  if (a.length !== b.length || a.some((x, k) => x !== b[k])) wrong++;
});
let pureWrong = 0;
for (let i = 0; i < texts.length; i += 20) {
  const b = pureJs.encode(texts[i]!, { add_special_tokens: false }).ids;
  const a = reference[i]!.getIds();
  if (a.length !== b.length || a.some((x, k) => x !== b[k])) pureWrong++;
}
console.log(`verified: ${wrong} documents differ from HF native; pure JS differs on ${pureWrong} of ${Math.ceil(texts.length / 20)} sampled`);
if (wrong > 0) throw new Error('our tokenizer disagrees with HF native: not timing');

const contenders: Array<{ name: string; run: () => Promise<number> }> = [
  {
    name: 'webgpu-bert WordPieceTokenizer (JS, 1 thread)',
    run: async () => texts.reduce((n, t) => n + ours.encode(t).length, 0),
  },
  {
    name: `HF tokenizers native encodeBatch (Rust, ${cpus().length} threads)`,
    run: async () => (await native.encodeBatch(texts, { addSpecialTokens: false })).reduce((n, e) => n + e.getLength(), 0),
  },
  {
    name: '@huggingface/tokenizers (pure JS, 1 thread)',
    run: async () => texts.reduce((n, t) => n + pureJs.encode(t, { add_special_tokens: false }).ids.length, 0),
  },
];

const results: Array<{ name: string; medianSeconds: number; megabytesPerSecond: number; tokensPerSecond: number; runs: number[] }> = [];
const bar = new ProgressBar({ total: contenders.length * (RUNS + 1), label: 'bench', unit: 'passes' });
for (const c of contenders) {
  await c.run(); // warm-up
  bar.tick(1, { now: c.name.split(' ')[0]! });
  const times: number[] = [];
  let tokens = 0;
  for (let r = 0; r < RUNS; r++) {
    t0 = performance.now();
    tokens = await c.run();
    times.push((performance.now() - t0) / 1000);
    bar.tick(1);
  }
  const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  results.push({ name: c.name, medianSeconds: median, megabytesPerSecond: megabytes / median, tokensPerSecond: tokens / median, runs: times });
}
bar.finish();

console.log('\n| tokenizer | median s | MB/s | tokens/s |\n| --- | ---: | ---: | ---: |');
for (const r of results) {
  console.log(`| ${r.name} | ${r.medianSeconds.toFixed(2)} | ${r.megabytesPerSecond.toFixed(1)} | ${(r.tokensPerSecond / 1e6).toFixed(2)}M |`);
}
const [mine, nat, pure] = results;
console.log(`\nours vs native: ${(nat!.medianSeconds / mine!.medianSeconds).toFixed(2)}x speed; ours vs pure JS: ${(pure!.medianSeconds / mine!.medianSeconds).toFixed(2)}x speed`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/tokenizer.json', import.meta.url),
  JSON.stringify({ corpus: 'spam-assassin', documents: texts.length, megabytes, vocabSize: vocab.length, runs: RUNS, node: process.version, cpus: cpus().length, results }, null, 2) + '\n',
);
