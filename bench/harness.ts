// Kernel benchmark harness: every case is checked for correctness, then timed against
// TensorFlow.js on the same Dawn adapter (tfjs-backend-webgpu) and on the CPU (tfjs-backend-wasm),
// interleaved, warm-up excluded, median of several runs. Prints a table, writes
// bench/results/kernels.json and a chart of the ratios, bench/results/kernels.svg.
//
// Timing (what the table reports): wall clock from the first launch of a run to the end of a
// GPU sync, divided by the iterations in the run, for ours and for both peers alike. Ours is
// also timed by timestamp queries (engine.gpuTime) where the adapter has them ("gpu ms" column).
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpus } from 'node:os';
import { init, shutdown, engine } from '../src/node.ts';
import { heldNodeGpu } from '../src/gpu/dawn.node.ts';

type Tf = typeof import('@tensorflow/tfjs-core');

export interface BenchCase {
  kernel: string;                 // 'layernorm'
  shape: string;                  // human label: 'BERT-base 2048x768'
  work: { flops?: number; bytes?: number };   // for GFLOP/s or GB/s
  /** Builds inputs; run() records our launches (no waiting); check() verifies against a reference (small shapes may use the float64 reference; big shapes may compare against tfjs's result). */
  ours(): Promise<{ run(): void; check(): Promise<void>; dispose(): void }>;
  /** The same computation in TensorFlow.js (any backend: the harness runs it on webgpu and wasm); returns tensors to dispose. */
  tfjs?(tf: Tf): { run(): unknown; dispose(): void };
  /** The ratio against tfjs-webgpu this case should reach (drawn on the chart); default 1. */
  target?: number;
  /** false when run() does its own submits, so it cannot be timed inside engine.gpuTime(). */
  timestamps?: boolean;
}

export type Contender = 'ours' | 'webgpu' | 'wasm';

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
  target: number;
  checked: 'ok' | string;
  ours?: Timing;
  webgpu?: Timing | { error: string };
  wasm?: Timing | { error: string };
  /** ours speed / peer speed (> 1: ours is faster). */
  vsWebgpu?: number;
  vsWasm?: number;
  /** Memory-bound cases: GB/s as a fraction of the best plain-copy GB/s. */
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

// ---------------------------------------------------------------- progress

/**
 * Minimal progress line (rate and ETA). Same calls as src/util/progress.ts's ProgressBar
 * (tick/finish), so that module can replace it once merged into this branch.
 */
export class Progress {
  private done = 0;
  private readonly start = performance.now();
  private last = 0;
  constructor(private total: number, private label: string, private unit = 'step') {}

  tick(n = 1, extra: Record<string, string> = {}): void {
    this.done += n;
    this.draw(false, extra);
  }

  finish(): void {
    this.draw(true, {});
  }

  private draw(final: boolean, extra: Record<string, string>): void {
    const now = performance.now();
    if (!final && now - this.last < 250) return;
    this.last = now;
    const s = (now - this.start) / 1000;
    const rate = this.done / Math.max(s, 1e-9);
    const eta = rate > 0 ? (this.total - this.done) / rate : 0;
    const frac = this.total ? this.done / this.total : 1;
    const bar = '#'.repeat(Math.round(frac * 20)).padEnd(20, '-');
    const info = Object.entries(extra).map(([k, v]) => ` ${k}=${v}`).join('');
    const line = `${this.label} [${bar}] ${this.done}/${this.total} ${this.unit}s ${rate.toFixed(2)} ${this.unit}/s elapsed ${fmtTime(s)} eta ${fmtTime(eta)}${info}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
    else if (final || Math.floor(this.done) !== Math.floor(this.done - 1)) process.stderr.write(`${line}\n`);
  }
}

function fmtTime(s: number): string {
  const t = Math.round(s);
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

// ---------------------------------------------------------------- peers

/** The parts of tfjs-backend-webgpu's WebGPUBackend that a sync needs. */
interface TfjsWebgpuBackend {
  device?: GPUDevice;
  submitQueue?(): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
}

interface Peer {
  name: 'webgpu' | 'wasm';
  tf: Tf;
  sync(result: unknown): Promise<void>;
}

/** tfjs-core with the webgpu backend on our Dawn GPU object and the wasm backend from node_modules. */
async function setupPeers(): Promise<{ tf: Tf; peers: Peer[]; notes: string[] }> {
  const notes: string[] = [];
  const gpu = heldNodeGpu();
  // tfjs-backend-webgpu registers itself at import only when navigator.gpu exists.
  if (gpu) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  await import('@tensorflow/tfjs-backend-webgpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  const peers: Peer[] = [];
  for (const name of ['webgpu', 'wasm'] as const) {
    try {
      if (!(await tf.setBackend(name))) throw new Error('setBackend returned false');
      await tf.ready();
      peers.push({
        name,
        tf,
        sync: async (result) => {
          const backend = tf.backend() as unknown as TfjsWebgpuBackend;
          if (name === 'webgpu' && backend.submitQueue && backend.device) {
            // What tfjs-webgpu itself does before a submit: close the open pass first.
            backend.ensureCommandEncoderReady();
            backend.endComputePassEncoder();
            backend.submitQueue();
            await backend.device.queue.onSubmittedWorkDone();
          } else {
            // wasm runs synchronously; reading one value makes sure nothing is deferred.
            const t = Array.isArray(result) ? result[0] : result;
            if (t && typeof (t as { dataSync?: unknown }).dataSync === 'function') (t as { dataSync(): unknown }).dataSync();
          }
        },
      });
      if (name === 'wasm') notes.push(`tfjs-wasm: SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}`);
    } catch (e) {
      notes.push(`tfjs-${name} unavailable: ${(e as Error).message}`);
    }
  }
  return { tf, peers, notes };
}

// ---------------------------------------------------------------- timing

interface Runner {
  /** Records/launches one iteration; returns what must be disposed or synced. */
  iterate(): unknown;
  sync(last: unknown): Promise<void>;
  release(x: unknown): void;
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

function rates(work: BenchCase['work'], ms: number): Pick<Timing, 'gflops' | 'gbps'> {
  return {
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
  // Copy first: it is the bandwidth yardstick of the memory-bound cases.
  return out.sort((a, b) => Number(b.kernel === 'copy') - Number(a.kernel === 'copy'));
}

function matches(c: BenchCase, filter?: string): boolean {
  if (!filter) return true;
  const text = `${c.kernel} ${c.shape}`;
  const re = /^\/(.*)\/([a-z]*)$/.exec(filter);
  return re ? new RegExp(re[1], re[2]).test(text) : text.toLowerCase().includes(filter.toLowerCase());
}

export async function runBench(options: BenchOptions = {}): Promise<CaseResult[]> {
  const runs = options.runs ?? 5;
  const minRunMs = options.minRunMs ?? 100;
  const e = await init();
  const cases = (await loadCases()).filter((c) => matches(c, options.filter));
  if (!cases.length) throw new Error(`no benchmark case matches '${options.filter}'`);
  const { peers, notes } = options.peers === false ? { peers: [], notes: [] } : await setupPeers();
  const cpu = cpus();
  console.log(`adapter: ${e.adapter}`);
  console.log(`cpu: ${cpu.length} x ${cpu[0]?.model ?? '?'}; node ${process.version}`);
  for (const n of notes) console.log(n);
  console.log(`timing: wall clock per iteration, median of ${runs} runs of >= ${minRunMs} ms, interleaved; ours also by timestamp queries (${e.ctx.hasTimestamps ? 'available' : 'not available'})\n`);

  const results: CaseResult[] = [];
  const progress = new Progress(cases.length * (1 + peers.length) * runs, 'bench', 'run');
  let copyGbps = 0; // best GB/s of a `copy` case
  for (const c of cases) {
    const res: CaseResult = { kernel: c.kernel, shape: c.shape, work: c.work, target: c.target ?? 1, checked: 'ok' };
    results.push(res);
    const ours = await c.ours();
    try {
      await ours.check();
    } catch (err) {
      res.checked = (err as Error).message.split('\n').slice(0, 3).join(' | ');
    }
    // Runners: ours, then each peer that has this case.
    const runners: { who: Contender; r: Runner; peerState?: { dispose(): void } }[] = [];
    runners.push({
      who: 'ours',
      r: { iterate: () => ours.run(), sync: () => e.sync(), release: () => {} },
    });
    for (const peer of peers) {
      if (!c.tfjs) continue;
      try {
        await peer.tf.setBackend(peer.name);
        const state = c.tfjs(peer.tf);
        runners.push({
          who: peer.name,
          peerState: state,
          r: { iterate: () => state.run(), sync: (x) => peer.sync(x), release: (x) => peer.tf.dispose(x as never) },
        });
      } catch (err) {
        res[peer.name] = { error: (err as Error).message };
      }
    }
    const plans = new Map<Contender, number>();
    const times = new Map<Contender, number[]>();
    const cpuTimes = new Map<Contender, number[]>();
    for (const { who, r } of runners) {
      try {
        if (who !== 'ours') await peers.find((p) => p.name === who)!.tf.setBackend(who);
        plans.set(who, await calibrate(r, minRunMs));
        times.set(who, []);
        cpuTimes.set(who, []);
      } catch (err) {
        if (who === 'ours') throw err;
        res[who] = { error: (err as Error).message };
      }
    }
    for (let run = 0; run < runs; run++) {
      for (const { who, r } of runners) {
        const n = plans.get(who);
        if (n === undefined) continue;
        if (who !== 'ours') await peers.find((p) => p.name === who)!.tf.setBackend(who);
        try {
          const t = await timeRun(r, n);
          times.get(who)!.push(t.ms);
          cpuTimes.get(who)!.push(t.cpuMs);
        } catch (err) {
          if (who === 'ours') throw err;
          res[who] = { error: (err as Error).message };
          plans.delete(who);
        }
        progress.tick(1, { case: `${c.kernel} ${c.shape}` });
      }
    }
    // GPU time of ours by timestamp queries (one timed pass per run).
    let gpuMs: number | undefined;
    if (e.ctx.hasTimestamps && c.timestamps !== false) {
      const n = plans.get('ours')!;
      const g: number[] = [];
      for (let run = 0; run < runs; run++) {
        const ms = await e.gpuTime(() => {
          for (let i = 0; i < n; i++) ours.run();
        });
        if (ms !== null) g.push(ms / n);
      }
      if (g.length) gpuMs = median(g);
    }
    for (const [who, ts] of times) {
      if (!ts.length || (who !== 'ours' && res[who] && 'error' in (res[who] as object))) continue;
      const ms = median(ts);
      const t: Timing = { ms, cpuMs: median(cpuTimes.get(who)!), runs: ts, iterations: plans.get(who)!, ...rates(c.work, ms) };
      if (who === 'ours') t.gpuMs = gpuMs;
      res[who] = t;
    }
    ours.dispose();
    for (const { peerState } of runners) peerState?.dispose();
    const o = res.ours;
    if (o) {
      const speed = (t: CaseResult['webgpu']) => (t && 'ms' in t ? t.ms : undefined);
      const w = speed(res.webgpu);
      const m = speed(res.wasm);
      if (w) res.vsWebgpu = w / o.ms;
      if (m) res.vsWasm = m / o.ms;
      if (c.kernel === 'copy' && o.gbps) copyGbps = Math.max(copyGbps, o.gbps);
    }
  }
  progress.finish();
  // The yardstick: the best plain copy kernel (cases are ordered copy first).
  for (const r of results) if (r.ours?.gbps && copyGbps) r.ofCopy = r.ours.gbps / copyGbps;
  printTable(results);
  const outDir = options.outDir ?? join(HERE, 'results');
  mkdirSync(outDir, { recursive: true });
  const meta = {
    adapter: e.adapter,
    cpu: `${cpu.length} x ${cpu[0]?.model ?? '?'}`,
    node: process.version,
    date: new Date().toISOString(),
    timing: 'wall clock per iteration (launch to GPU sync), median of runs; ours.gpuMs from timestamp queries',
    notes,
  };
  writeFileSync(join(outDir, 'kernels.json'), JSON.stringify({ ...meta, results }, null, 2) + '\n');
  writeFileSync(join(outDir, 'kernels.svg'), chartSvg(results, `${meta.adapter}; ${meta.cpu}`));
  console.log(`\nwrote ${join(outDir, 'kernels.json')} and kernels.svg`);
  shutdown();
  return results;
}

// ---------------------------------------------------------------- output

const fmt = (x: number | undefined, digits = 2) => (x === undefined || !Number.isFinite(x) ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(digits));

function speedCell(t: CaseResult['ours'] | CaseResult['webgpu']): string {
  if (!t) return '-';
  if ('error' in t) return 'n/a';
  const rate = t.gflops !== undefined ? `${fmt(t.gflops)} GF/s` : t.gbps !== undefined ? `${fmt(t.gbps)} GB/s` : '';
  return `${fmt(t.ms, 3)} ms ${rate}`;
}

export function printTable(results: CaseResult[]): void {
  const rows = results.map((r) => [
    r.kernel,
    r.shape,
    r.checked === 'ok' ? 'ok' : 'FAIL',
    speedCell(r.ours),
    r.ours?.gpuMs !== undefined ? fmt(r.ours.gpuMs, 3) : '-',
    speedCell(r.webgpu),
    speedCell(r.wasm),
    r.vsWebgpu !== undefined ? `${fmt(r.vsWebgpu)}x` : '-',
    r.vsWasm !== undefined ? `${fmt(r.vsWasm)}x` : '-',
    r.ofCopy !== undefined ? `${(100 * r.ofCopy).toFixed(0)}%` : '-',
  ]);
  const head = ['kernel', 'shape', 'check', 'ours', 'gpu ms', 'tfjs-webgpu', 'tfjs-wasm', 'vs webgpu', 'vs wasm', 'of copy BW'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  for (const r of results) if (r.checked !== 'ok') console.log(`check failed: ${r.kernel} ${r.shape}: ${r.checked}`);
  // Work per CPU-second: what each contender gets out of a core, whatever else the machine runs.
  const perCpu = (t: CaseResult['webgpu'], work: number) => (t && 'cpuMs' in t && t.cpuMs > 0 ? work / t.cpuMs / 1e6 : undefined);
  const flopRows = results.filter((r) => r.work.flops && r.ours);
  if (flopRows.length) {
    console.log('\nGFLOP per CPU-second (process CPU time: our and tfjs-webgpu\'s driver threads included; tfjs-wasm is single-threaded):');
    for (const r of flopRows) {
      const cells = [r.ours, r.webgpu, r.wasm].map((t) => fmt(perCpu(t, r.work.flops!)).padStart(6));
      console.log(`  ${`${r.kernel} ${r.shape}`.padEnd(60)} ours ${cells[0]}  tfjs-webgpu ${cells[1]}  tfjs-wasm ${cells[2]}`);
    }
  }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A hand-written SVG: per case, bars of ours/tfjs-webgpu and ours/tfjs-wasm on a log axis, with lines at 1x and at the case's target. */
export function chartSvg(results: CaseResult[], subtitle: string): string {
  const rows = results.filter((r) => r.vsWebgpu !== undefined || r.vsWasm !== undefined);
  const left = 440;
  const width = 1100;
  const rowH = 26;
  const top = 64;
  const plotW = width - left - 40;
  const lo = 1 / 8;
  const hi = Math.max(16, ...rows.flatMap((r) => [r.vsWebgpu ?? 1, r.vsWasm ?? 1]).map((x) => x * 1.2));
  const x = (v: number) => left + (plotW * Math.log(Math.min(Math.max(v, lo), hi) / lo)) / Math.log(hi / lo);
  const height = top + rows.length * rowH + 50;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">Speed of our kernels relative to TensorFlow.js (log scale, &gt; 1 = ours faster)</text>`);
  parts.push(`<text x="${width / 2}" y="38" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`);
  // Grid.
  for (let v = lo; v <= hi * 1.0001; v *= 2) {
    parts.push(`<line x1="${x(v).toFixed(1)}" y1="${top - 6}" x2="${x(v).toFixed(1)}" y2="${top + rows.length * rowH}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${x(v).toFixed(1)}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#555">${v >= 1 ? v : `1/${1 / v}`}x</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + 16}" text-anchor="end">${esc(`${r.kernel} ${r.shape}`)}</text>`);
    const bar = (v: number | undefined, dy: number, color: string, label: string) => {
      if (v === undefined) return;
      const x0 = x(1);
      const x1 = x(v);
      parts.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + dy}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="10" fill="${color}"><title>${esc(`${label}: ${v.toFixed(2)}x`)}</title></rect>`);
      parts.push(`<text x="${(Math.max(x0, x1) + 4).toFixed(1)}" y="${y + dy + 9}" font-size="10" fill="#333">${v.toFixed(2)}x</text>`);
    };
    bar(r.vsWebgpu, 3, '#3b78c2', 'vs tfjs-webgpu');
    bar(r.vsWasm, 14, '#e08a2c', 'vs tfjs-wasm');
    if (r.target !== 1) {
      parts.push(`<line x1="${x(r.target).toFixed(1)}" y1="${y + 1}" x2="${x(r.target).toFixed(1)}" y2="${y + rowH - 1}" stroke="#c0392b" stroke-width="2" stroke-dasharray="3,2"/>`);
    }
  });
  parts.push(`<line x1="${x(1)}" y1="${top - 8}" x2="${x(1)}" y2="${top + rows.length * rowH}" stroke="black" stroke-width="1.5"/>`);
  const ly = height - 18;
  parts.push(`<rect x="${left}" y="${ly - 9}" width="12" height="10" fill="#3b78c2"/><text x="${left + 16}" y="${ly}">ours vs tfjs-webgpu (same Dawn adapter)</text>`);
  parts.push(`<rect x="${left + 260}" y="${ly - 9}" width="12" height="10" fill="#e08a2c"/><text x="${left + 276}" y="${ly}">ours vs tfjs-wasm (CPU)</text>`);
  parts.push(`<line x1="${left + 440}" y1="${ly - 9}" x2="${left + 440}" y2="${ly + 1}" stroke="#c0392b" stroke-width="2" stroke-dasharray="3,2"/><text x="${left + 446}" y="${ly}">target vs tfjs-webgpu</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** For cases: the sync point a check needs. */
export const syncEngine = () => engine().sync();
