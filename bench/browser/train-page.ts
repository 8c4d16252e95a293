// bench:train inside Chromium: the same cases, contenders and checks as in Node (bench/train-core.ts),
// with tfjs-webgpu on the page's navigator.gpu and tfjs-wasm with its threads (the page is
// cross-origin isolated, so SharedArrayBuffer exists). Reads its inputs from the server that
// bench/browser/train.ts starts and reports through window.result; progress lines go to the console.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { init } from '../../src/browser.ts';
import { WordPieceTokenizer } from '../../src/data/wordpiece-tokenizer.ts';
import { ProgressBar } from '../../src/util/progress.ts';
import { Batches, benchCases, runCase, type CaseResult, type TfPeer } from '../train-core.ts';

declare global {
  interface Window { result?: unknown; error?: string }
}

async function main() {
  const query = new URLSearchParams(location.search);
  const cases = benchCases(query.get('quick') === '1', Number(query.get('steps') ?? 6)).filter((c) => !query.get('only') || c.name.includes(query.get('only')!));
  const [vocab, docs] = await Promise.all([fetch('/vocab.txt').then((r) => r.text()), fetch('/docs.json').then((r) => r.json() as Promise<string[]>)]);
  const e = await init();
  const notes: string[] = [`crossOriginIsolated ${globalThis.crossOriginIsolated}, hardwareConcurrency ${navigator.hardwareConcurrency}`];
  setWasmPaths('/wasm/');
  setThreadsCount(navigator.hardwareConcurrency);
  const peers: TfPeer[] = [];
  for (const name of ['webgpu', 'wasm'] as const) {
    try {
      if (!(await tf.setBackend(name))) throw new Error('setBackend returned false');
      await tf.ready();
      peers.push({ name, tf: tf as never });
    } catch (err) {
      notes.push(`tfjs-${name} unavailable: ${(err as Error).message}`);
    }
  }
  notes.push(`tfjs-wasm: SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}`);
  const batches = new Batches(WordPieceTokenizer.fromVocab(vocab), docs);
  const total = cases.reduce((s, c) => s + c.steps * (1 + peers.length), 0);
  const progress = new ProgressBar({ total, label: 'bench:train (browser)', unit: 'step', output: { write: (t) => console.log(t.trim()) } });
  const results: CaseResult[] = [];
  for (const c of cases) results.push(await runCase(e, c, peers, batches, progress));
  progress.finish();
  window.result = { adapter: e.adapter, userAgent: navigator.userAgent, notes, results };
}

main().catch((err) => {
  window.error = String((err as Error)?.stack ?? err);
});
