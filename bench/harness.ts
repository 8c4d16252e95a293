// Kernel benchmark harness: every case in bench/cases/*.ts is checked for correctness, then timed
// against TensorFlow.js on the same Dawn adapter (tfjs-backend-webgpu) and on the CPU
// (tfjs-backend-wasm), interleaved run by run, warm-up excluded, median of several runs; a
// memory-bound case is also timed against a vec4 copy of as many bytes, interleaved the same way.
// The case is checked again after its timed runs. Prints Markdown tables (results, the issue's
// targets with verdicts, GFLOP per CPU-second), writes bench/results/kernels.json and a chart of the
// ratios, bench/results/kernels.svg.
//
// Timing (what the table reports): wall clock from the first launch of a run to the end of a GPU
// sync, divided by the iterations in the run, for every contender alike. Ours is also timed by
// timestamp queries (engine.gpuTime) where the adapter has them (the "gpu ms" column).
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Engine } from '../src/gpu/engine.ts';
import { OpError } from '../src/gpu/errors.ts';
import { init, shutdown } from '../src/node.ts';
import { ProgressBar } from '../src/util/progress.ts';
import { vec4Copy } from './cases/copy.ts';
import { throttleDawnPollingGlobally } from './util.ts';
import { setupPeers, type Peer, type Tf } from './peers.ts';
import { chartSvg, cpuTable, resultsTable, verdictTable, verdicts } from './report.ts';

/** What a case should reach (the targets): speed ratios against each peer, fraction of copy bandwidth. */
export interface Targets {
  webgpu?: number;
  wasm?: number;
  copy?: number;
}

export interface BenchCase {
  kernel: string;                 // 'layernorm'
  shape: string;                  // human label: 'BERT-base 2048x768'
  work: { flops?: number; bytes?: number };   // for GFLOP/s or GB/s (bytes: the least traffic the op needs)
  /** Builds inputs; run() records our launches (no waiting); check() verifies against a reference (small shapes may use the float64 reference; big shapes may compare against tfjs's result). */
  ours(): Promise<{ run(): void; check(): Promise<void>; dispose(): void }>;
  /** The same computation in TensorFlow.js (any backend: the harness runs it on webgpu and wasm); returns tensors to dispose. */
  tfjs?(tf: Tf): { run(): unknown; dispose(): void };
  targets?: Targets;
  /** false when run() does its own submits, so it cannot be timed inside engine.gpuTime(). */
  timestamps?: boolean;
}

export type Contender = 'ours' | 'webgpu' | 'wasm' | 'copy';

export interface Timing {
  /** Median wall-clock ms per iteration. */
  ms: number;
  /** Median CPU ms per iteration of the whole process (our driver threads included): robust to other load on a shared machine. */
  cpuMs: number;
  /** Every run's ms per iteration, in order. */
  runs: number[];
  iterations: number;
  /** Ours only: median GPU ms per iteration from timestamp queries, when the adapter has them. */
  gpuMs?: number;
  gflops?: number;
  gbps?: number;
}

export interface CaseResult {
  kernel: string;
  shape: string;
  work: BenchCase['work'];
  targets?: Targets;
  /** 'ok', or why the check failed (before or after the timed runs). */
  checked: string;
  /** Why the case did not run on this adapter (e.g. a tensor over its binding size limit). */
  skipped?: string;
  ours?: Timing;
  webgpu?: Timing | { error: string };
  wasm?: Timing | { error: string };
  /** The vec4 copy of the case's bytes, timed with it (memory-bound cases). */
  copy?: Timing;
  /** ours speed / peer speed (> 1: ours is faster). */
  vsWebgpu?: number;
  vsWasm?: number;
  /** Memory-bound cases: our GB/s over the copy's. */
  ofCopy?: number;
}

export interface BenchOptions {
  /** Substring or /regex/ matched against "kernel shape". */
  filter?: string;
  /** Timed runs per contender (median reported). */
  runs?: number;
  /** Minimum wall time of one run. */
  minRunMs?: number;
  peers?: boolean;
  outDir?: string;
}

const HERE = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------- timing

interface Runner {
  /** Records/launches one iteration; returns what must be disposed or synced. */
  iterate(): unknown;
  sync(last: unknown): Promise<void>;
  release(x: unknown): void;
  /** Called before each of this runner's runs (a peer selects its tfjs backend). */
  enter?(): Promise<void>;
}

/** Iterations so that one run takes >= minRunMs (from a timed warm-up iteration). */
async function calibrate(r: Runner, minRunMs: number): Promise<number> {
  let x = r.iterate();
  await r.sync(x); // warm-up: compiles pipelines, allocates
  r.release(x);
  const t0 = performance.now();
  x = r.iterate();
  await r.sync(x);
  r.release(x);
  const one = Math.max(performance.now() - t0, 1e-3);
  return Math.max(1, Math.ceil(minRunMs / one));
}

/** Wall and process-CPU ms per iteration of one run. */
async function timeRun(r: Runner, iterations: number): Promise<{ ms: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let x: unknown;
  for (let i = 0; i < iterations; i++) {
    if (i > 0) r.release(x);
    x = r.iterate();
  }
  await r.sync(x);
  const ms = (performance.now() - t0) / iterations;
  const c = process.cpuUsage(c0);
  r.release(x);
  return { ms, cpuMs: (c.user + c.system) / 1000 / iterations };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function summary(work: BenchCase['work'], ts: { ms: number; cpuMs: number }[], iterations: number): Timing {
  const ms = median(ts.map((t) => t.ms));
  return {
    ms,
    cpuMs: median(ts.map((t) => t.cpuMs)),
    runs: ts.map((t) => t.ms),
    iterations,
    gflops: work.flops ? work.flops / ms / 1e6 : undefined,
    gbps: work.bytes ? work.bytes / ms / 1e6 : undefined,
  };
}

// ---------------------------------------------------------------- cases

export async function loadCases(dir = join(HERE, 'cases')): Promise<BenchCase[]> {
  const out: BenchCase[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { cases?: BenchCase[] };
    if (!Array.isArray(mod.cases)) throw new Error(`bench/cases/${file} does not export \`cases: BenchCase[]\``);
    out.push(...mod.cases);
  }
  // The bandwidth yardsticks first.
  const yardstick = (c: BenchCase) => Number(['copy', 'memcpy', 'probe'].includes(c.kernel));
  return out.sort((a, b) => yardstick(b) - yardstick(a));
}

function matches(c: BenchCase, filter?: string): boolean {
  if (!filter) return true;
  const text = `${c.kernel} ${c.shape}`;
  const re = /^\/(.*)\/([a-z]*)$/.exec(filter);
  return re ? new RegExp(re[1], re[2]).test(text) : text.toLowerCase().includes(filter.toLowerCase());
}

/** A case with a copy of its bytes as the bandwidth yardstick (not the copy cases themselves). */
const memoryBound = (c: BenchCase) => c.work.bytes !== undefined && c.kernel !== 'copy' && c.kernel !== 'memcpy';

/** A shape this adapter cannot hold in one binding (lavapipe: 128 MiB) is reported, not fatal. */
function overAdapterLimit(err: unknown): string | null {
  return err instanceof OpError && /maxStorageBufferBindingSize/.test(err.message) ? err.message.replace(/^alloc: /, '') : null;
}

const firstLines = (err: unknown) => (err as Error).message.split('\n').slice(0, 3).join(' | ');

async function benchCase(e: Engine, c: BenchCase, peers: Peer[], o: Required<Pick<BenchOptions, 'runs' | 'minRunMs'>>, progress: ProgressBar): Promise<CaseResult> {
  const res: CaseResult = { kernel: c.kernel, shape: c.shape, work: c.work, targets: c.targets, checked: 'ok' };
  let ours: Awaited<ReturnType<BenchCase['ours']>>;
  try {
    ours = await c.ours();
  } catch (err) {
    const limit = overAdapterLimit(err);
    if (!limit) throw err;
    res.skipped = limit;
    return res;
  }
  const tick = () => progress.tick(1, { case: `${c.kernel} ${c.shape}` });
  try {
    await ours.check();
  } catch (err) {
    res.checked = firstLines(err);
  }
  const runners = new Map<Contender, Runner>();
  runners.set('ours', { iterate: () => ours.run(), sync: () => e.sync(), release: () => {} });
  const disposers: (() => void)[] = [() => ours.dispose()];
  if (memoryBound(c)) {
    const copy = vec4Copy(c.work.bytes!);
    disposers.push(() => copy.dispose());
    runners.set('copy', { iterate: () => copy.run(), sync: () => e.sync(), release: () => {} });
  }
  for (const peer of c.tfjs ? peers : []) {
    try {
      await peer.tf.setBackend(peer.name);
      const state = c.tfjs!(peer.tf);
      disposers.push(() => state.dispose());
      runners.set(peer.name, {
        enter: async () => { await peer.tf.setBackend(peer.name); },
        iterate: () => state.run(),
        sync: (x) => peer.sync(x),
        release: (x) => peer.tf.dispose(x as never),
      });
    } catch (err) {
      res[peer.name] = { error: firstLines(err) };
    }
  }
  const plans = new Map<Contender, number>();
  const times = new Map<Contender, { ms: number; cpuMs: number }[]>();
  const failed = (who: Contender, err: unknown) => {
    if (who === 'ours' || who === 'copy') throw err;
    res[who] = { error: firstLines(err) };
    plans.delete(who);
  };
  for (const [who, r] of runners) {
    try {
      await r.enter?.();
      plans.set(who, await calibrate(r, o.minRunMs));
      times.set(who, []);
    } catch (err) {
      failed(who, err);
    }
  }
  for (let run = 0; run < o.runs; run++) {
    for (const [who, r] of runners) {
      const n = plans.get(who);
      if (n !== undefined) {
        try {
          await r.enter?.();
          times.get(who)!.push(await timeRun(r, n));
        } catch (err) {
          failed(who, err);
        }
      }
      tick();
    }
  }
  for (const [who, ts] of times) {
    if (plans.has(who) && ts.length) res[who] = summary(c.work, ts, plans.get(who)!);
  }
  // GPU time of ours by timestamp queries (one timed pass per run).
  if (res.ours && e.ctx.hasTimestamps && c.timestamps !== false) {
    const n = plans.get('ours')!;
    const g: number[] = [];
    for (let run = 0; run < o.runs; run++) {
      const ms = await e.gpuTime(() => {
        for (let i = 0; i < n; i++) ours.run();
      });
      if (ms !== null) g.push(ms / n);
    }
    if (g.length) res.ours.gpuMs = median(g);
  }
  if (res.checked === 'ok') {
    try {
      await ours.check();
    } catch (err) {
      res.checked = `after the timed runs: ${firstLines(err)}`;
    }
  }
  for (const dispose of disposers) dispose();
  const speed = (t: CaseResult['webgpu']) => (t && 'ms' in t ? t.ms : undefined);
  if (res.ours) {
    const [w, m] = [speed(res.webgpu), speed(res.wasm)];
    if (w) res.vsWebgpu = w / res.ours.ms;
    if (m) res.vsWasm = m / res.ours.ms;
    if (res.copy) res.ofCopy = res.copy.ms / res.ours.ms;
  }
  return res;
}

export async function runBench(options: BenchOptions = {}): Promise<CaseResult[]> {
  const o = { runs: options.runs ?? 5, minRunMs: options.minRunMs ?? 100 };
  const e = await init();
  // tfjs-webgpu shares our Dawn instance: let its waits poll as ours do (see throttleDawnPollingGlobally).
  if (e.ctx.report.software) throttleDawnPollingGlobally();
  const cases = (await loadCases()).filter((c) => matches(c, options.filter));
  if (!cases.length) throw new Error(`no benchmark case matches '${options.filter}'`);
  const { peers, notes } = options.peers === false ? { peers: [], notes: [] } : await setupPeers();
  const cpu = cpus();
  const started = new Date();
  console.log(`adapter: ${e.adapter}`);
  console.log(`cpu: ${cpu.length} x ${cpu[0]?.model ?? '?'}; node ${process.version}`);
  for (const n of notes) console.log(n);
  console.log(`timing: wall clock per iteration, median of ${o.runs} runs of >= ${o.minRunMs} ms, contenders interleaved; ours also by timestamp queries (${e.ctx.hasTimestamps ? 'available' : 'not available'})\n`);

  const contenders = (c: BenchCase) => 1 + (memoryBound(c) ? 1 : 0) + (c.tfjs ? peers.length : 0);
  const progress = new ProgressBar({
    total: cases.reduce((n, c) => n + o.runs * contenders(c), 0),
    label: 'bench',
    unit: 'run',
    output: process.stderr,
  });
  const results: CaseResult[] = [];
  for (const c of cases) {
    const res = await benchCase(e, c, peers, o, progress);
    if (res.skipped) progress.tick(o.runs * contenders(c));
    results.push(res);
  }
  progress.finish();

  console.log(resultsTable(results));
  if (verdicts(results).length) console.log(`\nTargets:\n${verdictTable(results)}`);
  if (results.some((r) => r.work.flops && r.ours)) {
    console.log('\nGFLOP per CPU-second (process CPU time: our and tfjs-webgpu\'s driver threads count; tfjs-wasm runs one thread):');
    console.log(cpuTable(results));
  }
  const outDir = options.outDir ?? join(HERE, 'results');
  mkdirSync(outDir, { recursive: true });
  const meta = {
    adapter: e.adapter,
    cpu: `${cpu.length} x ${cpu[0]?.model ?? '?'}`,
    node: process.version,
    date: started.toISOString(),
    minutes: Number(((Date.now() - started.getTime()) / 60000).toFixed(1)),
    command: ['npm run bench:kernels', options.filter && `-- ${options.filter}`, options.runs && `--runs ${options.runs}`].filter(Boolean).join(' '),
    timing: 'wall clock per iteration (launch to GPU sync), median of runs, contenders interleaved; ours.gpuMs from timestamp queries',
    notes,
  };
  writeFileSync(join(outDir, 'kernels.json'), JSON.stringify({ ...meta, results }, null, 2) + '\n');
  writeFileSync(join(outDir, 'kernels.svg'), chartSvg(results, `${meta.adapter.split(' (')[0]}, ${meta.date.slice(0, 10)}`));
  console.log(`\nwrote ${join(outDir, 'kernels.json')} and kernels.svg`);
  shutdown();
  return results;
}
