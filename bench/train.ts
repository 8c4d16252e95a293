// Whole-model benchmark against TensorFlow.js: a BERT masked-LM training step (forward, backward,
// AdamW with clipping) and a BERT forward pass, ours against the same model written in tfjs-core ops
// (bench/tfjs-bert.ts) on tfjs-webgpu (the same Dawn adapter) and tfjs-wasm, with the SAME weights
// (ours, copied across) and the SAME batches (Brown text, padded rows, 20 masks a row).
//
// Every step of every contender is checked: the three start equal and see the same batches in the
// same order, so their losses must agree at each step (to f32 noise), not only the first. Steps are
// interleaved contender by contender; the first is not timed; a step's time is the wall clock from
// its first op to its loss read back. The cold first step (pipeline compilation, tfjs's shader and
// program caches) runs in fresh child processes, one per contender. --browser runs the same
// comparison in headless Chromium (bench/browser/train.ts), where tfjs-wasm has its threads.
//
//   npm run bench:train -- [--quick] [--steps N] [--browser | --no-browser | --browser-only] [--only NAME] [--out DIR]
//   --quick    BERT-tiny (20-step curve) and BERT-mini (4 steps), in Node only (unless --browser)
//   --steps N  steps of the cases without a curve (default 6: 1 warm-up and 5 timed)
//   Chromium runs the quick set (its WebGPU is SwiftShader here); the full run includes it.
//
// Writes bench/results/train.json, train.svg (speed ratios) and train-curves.svg (loss curves);
// --browser-only writes train-browser.json, .svg and -curves.svg.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BertForMaskedLM, init, loadWordPieceTokenizer, shutdown } from '../src/node.ts';
import { VOCAB, brownDocs } from './brown.ts';
import { ProgressBar } from '../src/util/progress.ts';
import { setupPeers } from './peers.ts';
import { throttleDawnPollingGlobally } from './util.ts';
import { fmt, markdown } from './report.ts';
import {
  Batches, COLD, LR, MASKS, NAMES, SEED, benchCases, charts, configOf, hostParams, oursRunner, profileTable, resultsTable, runCase,
  tfjsRunner, type CaseResult, type Runner,
} from './train-core.ts';
import { runInBrowser, type BrowserResults } from './browser/train.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const QUICK = flag('--quick');
const BROWSER_ONLY = flag('--browser-only');
const BROWSER = BROWSER_ONLY || flag('--browser') || (!QUICK && !flag('--no-browser'));
const STEPS = Number(option('--steps') ?? 6);
const CASES = benchCases(QUICK, STEPS);
/** Only the cases whose name contains this (for a look at one shape). */
const ONLY = option('--only');
const OUT = option('--out') ?? join(ROOT, 'bench/results');


// ------------------------------------------------------------------ cold first step (child process)

/** In a fresh process: init, build the model, then time its first step (compilation included). */
async function coldChild(who: string): Promise<void> {
  const c = COLD;
  const restore = throttleDawnPollingGlobally();
  const e = await init();
  const tok = loadWordPieceTokenizer(VOCAB);
  const b = new Batches(tok, await brownDocs()).get(0, c.batch, c.seq);
  const model = new BertForMaskedLM(configOf(c), { seed: SEED });
  let runner: Runner;
  if (who === 'ours') {
    runner = oursRunner(e, c, model);
  } else {
    const { peers } = await setupPeers();
    const peer = peers.find((p) => `tfjs-${p.name}` === who);
    if (!peer) throw new Error(`${who} is unavailable`);
    await peer.tf.setBackend(peer.name);
    runner = tfjsRunner(peer, c, await hostParams(model));
  }
  const t0 = performance.now();
  const loss = await runner.step(b);
  const ms = performance.now() - t0;
  const t1 = performance.now();
  await runner.step(b);
  const warmMs = performance.now() - t1;
  console.log(JSON.stringify({ cold: who, ms, warmMs, loss }));
  restore();
  shutdown();
  process.exit(0);
}

function coldSteps(): Record<string, { ms: number; warmMs: number; loss: number } | { error: string }> {
  const out: Record<string, { ms: number; warmMs: number; loss: number } | { error: string }> = {};
  for (const who of ['ours', 'tfjs-webgpu', 'tfjs-wasm']) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--cold-child', who], { encoding: 'utf8', cwd: ROOT, timeout: 300_000 });
    const line = child.stdout.split('\n').find((l) => l.startsWith('{"cold"'));
    out[who] = line ? JSON.parse(line) : { error: (child.stderr || `exit ${child.status}`).trim().split('\n').slice(-3).join(' ') };
  }
  return out;
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const coldChildArg = option('--cold-child');
  if (coldChildArg) return coldChild(coldChildArg);

  const loadStart = loadavg();
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB`;
  // The cold steps first, in child processes, while this one holds nothing yet.
  const cold = QUICK || BROWSER_ONLY || ONLY ? null : coldSteps();
  // tfjs-webgpu polls Dawn through setImmediate; throttled for the whole process, as our engine's
  // own waits are (bench/dawn-polling.ts), so both wait the same way.
  const restore = throttleDawnPollingGlobally();
  const e = await init();
  const adapter = e.adapter;
  const { peers, notes } = await setupPeers();
  const docs = await brownDocs();
  const batches = new Batches(loadWordPieceTokenizer(VOCAB), docs);
  console.log(`adapter: ${adapter}\nmachine: ${machine}; load at start ${loadStart.map((l) => l.toFixed(2)).join(' ')}`);
  for (const n of notes) console.log(n);

  const results: CaseResult[] = [];
  let browser: BrowserResults | { error: string } | null = null;
  // A Chromium-only run keeps its own files, beside the full run's.
  const base = BROWSER_ONLY ? 'train-browser' : 'train';
  /** Writes what has been measured so far (after every case: a long run stopped early keeps its results). */
  const save = (complete: boolean) => {
    mkdirSync(OUT, { recursive: true });
    const out = { adapter, machine, loadStart, loadEnd: loadavg(), complete, notes, quick: QUICK, lr: LR, masksPerRow: MASKS, results, cold, browser };
    writeFileSync(join(OUT, `${base}.json`), JSON.stringify(out, null, 1) + '\n');
    const all = [...results, ...(browser && 'results' in browser ? browser.results.map((r) => ({ ...r, case: `${r.case} (Chromium)` })) : [])];
    const { ratios, curves } = charts(all, `${adapter.split(' (')[0]}, ${cpus().length} CPUs`);
    writeFileSync(join(OUT, `${base}.svg`), ratios);
    writeFileSync(join(OUT, `${base}-curves.svg`), curves);
  };

  const cases = ONLY ? CASES.filter((c) => c.name.includes(ONLY)) : CASES;
  const total = cases.reduce((s, c) => s + c.steps * (1 + peers.length), 0);
  const progress = new ProgressBar({ total, label: 'bench:train', unit: 'step', output: BROWSER_ONLY ? null : undefined });
  for (const c of BROWSER_ONLY ? [] : cases) {
    results.push(await runCase(e, c, peers, batches, progress));
    save(false);
  }
  progress.finish();
  restore();
  shutdown();

  // Chromium: the quick set (SwiftShader there is slower than lavapipe in Node).
  if (BROWSER) {
    try {
      browser = await runInBrowser({ quick: true, steps: STEPS, vocab: VOCAB, docs, only: ONLY });
    } catch (err) {
      browser = { error: String((err as Error).message ?? err) };
    }
  }

  if (results.length) console.log(`\nNode, ${adapter}:\n${resultsTable(results)}`);
  if (cold) {
    console.log('\n' + markdown(['cold first step, BERT-mini 8x128 (fresh process)', 'first step ms', 'second step ms'],
      NAMES.map((n) => { const c = cold[n]; return [n, c && 'ms' in c ? fmt(c.ms, 0) : 'failed', c && 'warmMs' in c ? fmt(c.warmMs, 0) : '-']; })));
  }
  const profiled = results.find((r) => r.profile && r.case.startsWith('train BERT-mini')) ?? results.find((r) => r.profile);
  if (profiled?.profile) console.log(`\nour per-kernel GPU time, one step of ${profiled.case} (timestamp queries):\n${profileTable(profiled.profile)}`);
  if (browser && 'error' in browser) console.log(`\nChromium: ${browser.error}`);
  else if (browser) console.log(`\nChromium (${browser.adapter}; ${browser.notes.join('; ')}):\n${resultsTable(browser.results)}`);
  console.log(`\nload at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  save(true);
  console.log(`wrote ${join(OUT, base)}.json, ${base}.svg, ${base}-curves.svg`);
  process.exit(0);
}

await main();
