// What every demo prints and writes at the end: throughput and peak GPU memory per training phase,
// the figures it reached beside their yardsticks, the machine's load and the wall time; the same
// as JSON (summary.json in the output directory) for the README's quality table.
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { engine, init, memory, shutdown, writeFileAtomic, type History } from '../../src/node.ts';

export interface Phase {
  name: string;
  tokensPerSecond: number;
  peakBytes: number;
  seconds: number;
  steps: number;
}

/** A finished fit()'s figures. */
export function phase(name: string, history: History): Phase {
  return {
    name,
    tokensPerSecond: history.tokensPerSecond,
    peakBytes: history.peakMemoryBytes,
    seconds: history.epochs.reduce((s, e) => s + e.seconds, 0),
    steps: history.epochs.reduce((s, e) => s + e.steps, 0),
  };
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
export const percent = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;
/** a / b as '2.31x', or 'n/a' when b is 0 (a tiny smoke run's held-out set). */
export const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
const load = () => loadavg().map((x) => x.toFixed(2)).join(' / ');

/** The demo's clock, output directory and summary. */
export class DemoRun {
  readonly started = performance.now();
  readonly phases: Phase[] = [];
  readonly results: Record<string, unknown> = {};
  private readonly loadAtStart = load();

  constructor(readonly name: string, readonly outDir: string, readonly options: Record<string, unknown>) {
    mkdirSync(outDir, { recursive: true });
    const e = engine();
    console.log(`${name}: adapter ${e.adapter}; load average (1/5/15 min) ${this.loadAtStart}; output in ${outDir}/`);
  }

  path(file: string): string {
    return join(this.outDir, file);
  }

  /** Prints a section header. */
  section(title: string): void {
    console.log(`\n== ${title} ${'='.repeat(Math.max(0, 74 - title.length))}`);
  }

  addPhase(name: string, history: History): Phase {
    const p = phase(name, history);
    this.phases.push(p);
    console.log(`${name}: ${p.steps} steps in ${p.seconds.toFixed(0)} s, ${Math.round(p.tokensPerSecond)} tokens/s, peak GPU memory ${mib(p.peakBytes)}`);
    return p;
  }

  /** Prints the final table (label: value lines) and writes summary.json. */
  async finish(lines: [string, string][]): Promise<void> {
    const wall = (performance.now() - this.started) / 1000;
    const m = memory();
    const peak = Math.max(0, ...this.phases.map((p) => p.peakBytes));
    const rows: [string, string][] = [
      ...lines,
      ...this.phases.map((p): [string, string] => [`throughput, ${p.name}`, `${Math.round(p.tokensPerSecond)} tokens/s (${p.steps} steps, ${p.seconds.toFixed(0)} s)`]),
      ['peak GPU memory', `${mib(peak)} (in use + pooled for reuse)`],
      ['wall time', `${(wall / 60).toFixed(1)} min (${wall.toFixed(0)} s)`],
      ['load average', `${this.loadAtStart} at the start, ${load()} at the end (1/5/15 min, 2 cores)`],
    ];
    this.section(`${this.name}: what it reached`);
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
    const summary = {
      demo: this.name, date: new Date().toISOString(), options: this.options, results: this.results, phases: this.phases,
      peakGpuBytes: peak, liveTensorsAtEnd: m.liveTensors, wallSeconds: wall, loadAverageStart: this.loadAtStart, loadAverageEnd: load(),
      adapter: engine().adapter,
    };
    await writeFileAtomic(this.path('summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    console.log(`\nsummary: ${this.path('summary.json')}`);
  }
}

/** A progress line for work outside fit() (vocabulary, tokenizing): prints the seconds it took. */
export async function timed<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  console.log(`${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return out;
}

/**
 * Runs `check` (argument validation), then the demo's body on a fresh engine: an error prints one line (`error: ...`; the stack with
 * DEMO_DEBUG=1) and exits with status 1; the device is always destroyed so Node can exit.
 */
export async function runDemo(body: () => Promise<void>, check?: () => void): Promise<void> {
  try {
    check?.(); // options and paths first: a typo fails before the device starts
    await init();
    await body();
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    if (process.env.DEMO_DEBUG) console.error(e);
    process.exitCode = 1;
  } finally {
    shutdown();
  }
}
