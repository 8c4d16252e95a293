// The benchmark's outputs: the results table (Markdown, so it pastes into bench/README.md), the
// issue's targets with their verdicts, GFLOP per CPU-second, and the SVG chart of the ratios.
import { barChart } from '../src/util/chart.ts';
import type { CaseResult, Targets, Timing } from './harness.ts';

export const fmt = (x: number | undefined, digits = 2) => (x === undefined || !Number.isFinite(x) ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(digits));
const ratio = (x: number | undefined) => (x === undefined ? '-' : `${fmt(x)}x`);
const percent = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(0)}%`);

function timing(t: CaseResult['webgpu']): Timing | undefined {
  return t && 'ms' in t ? t : undefined;
}

function speedCell(t: CaseResult['webgpu']): string {
  if (!t) return '-';
  if ('error' in t) return 'n/a';
  const rate = t.gflops !== undefined ? `${fmt(t.gflops)} GF/s` : t.gbps !== undefined ? `${fmt(t.gbps)} GB/s` : '';
  return `${fmt(t.ms, 3)} ms ${rate}`.trim();
}

export function markdown(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function resultsTable(results: CaseResult[]): string {
  const rows = results.map((r) => r.skipped
    ? [r.kernel, r.shape, 'skipped', 'not run (below)', '-', '-', '-', '-', '-', '-']
    : [
      r.kernel,
      r.shape,
      r.checked === 'ok' ? 'ok' : 'FAIL',
      speedCell(r.ours),
      fmt(r.ours?.gpuMs, 3),
      speedCell(r.webgpu),
      speedCell(r.wasm),
      ratio(r.vsWebgpu),
      ratio(r.vsWasm),
      percent(r.ofCopy),
    ]);
  const table = markdown(['kernel', 'shape', 'check', 'ours', 'gpu ms', 'tfjs-webgpu', 'tfjs-wasm', 'vs webgpu', 'vs wasm', 'of copy BW'], rows);
  const notes = results.flatMap((r) => [
    ...(r.skipped ? [`skipped: ${r.kernel} ${r.shape}: ${r.skipped}`] : []),
    ...(r.checked !== 'ok' ? [`check failed: ${r.kernel} ${r.shape}: ${r.checked}`] : []),
    ...(['webgpu', 'wasm'] as const).flatMap((p) => {
      const t = r[p];
      return t && 'error' in t ? [`tfjs-${p} failed: ${r.kernel} ${r.shape}: ${t.error}`] : [];
    }),
  ]);
  return notes.length ? `${table}\n\n${notes.join('\n')}` : table;
}

export interface Verdict {
  kernel: string;
  shape: string;
  target: string;
  measured: string;
  met: boolean | undefined;
}

const TARGET_TEXT: Record<keyof Targets, (v: number) => string> = {
  webgpu: (v) => `>= ${v}x tfjs-webgpu`,
  wasm: (v) => (v === 1 ? '>= tfjs-wasm' : `>= ${v}x tfjs-wasm`),
  copy: (v) => `>= ${(100 * v).toFixed(0)}% of copy bandwidth`,
};

/** Every case's targets against what it measured; `met` is undefined when there was nothing to compare. */
export function verdicts(results: CaseResult[]): Verdict[] {
  const out: Verdict[] = [];
  for (const r of results) {
    for (const key of Object.keys(r.targets ?? {}) as (keyof Targets)[]) {
      const want = r.targets![key]!;
      const got = key === 'webgpu' ? r.vsWebgpu : key === 'wasm' ? r.vsWasm : r.ofCopy;
      const peer = key === 'webgpu' ? timing(r.webgpu) : key === 'wasm' ? timing(r.wasm) : r.copy;
      const measured = got === undefined
        ? r.skipped ? 'skipped' : 'not measured'
        : key === 'copy'
          ? `${percent(got)}: ${fmt(r.ours?.gbps)} of ${fmt(peer?.gbps)} GB/s`
          : `${ratio(got)}: ${r.work.flops ? `${fmt(r.ours?.gflops)} vs ${fmt(peer?.gflops)} GFLOP/s` : `${fmt(r.ours?.ms, 3)} vs ${fmt(peer?.ms, 3)} ms`}`;
      out.push({ kernel: r.kernel, shape: r.shape, target: TARGET_TEXT[key](want), measured, met: got === undefined ? undefined : got >= want });
    }
  }
  return out;
}

export function verdictTable(results: CaseResult[]): string {
  const rows = verdicts(results).map((v) => [`${v.kernel} ${v.shape}`, v.target, v.measured, v.met === undefined ? '-' : v.met ? 'met' : '**not met**']);
  return markdown(['case', 'target', 'measured', 'verdict'], rows);
}

/** Work per CPU-second: what each contender gets out of the cores, whatever else the machine runs. */
export function cpuTable(results: CaseResult[]): string {
  const perCpu = (t: Timing | undefined, flops: number) => (t && t.cpuMs > 0 ? flops / t.cpuMs / 1e6 : undefined);
  const rows = results.filter((r) => r.work.flops && r.ours).map((r) => [
    `${r.kernel} ${r.shape}`,
    ...[r.ours, timing(r.webgpu), timing(r.wasm)].map((t) => fmt(perCpu(t, r.work.flops!))),
  ]);
  return markdown(['case', 'ours GFLOP/cpu-s', 'tfjs-webgpu', 'tfjs-wasm'], rows);
}

/** Grouped bars per case on a log axis: ours against each peer, and bandwidth as a fraction of copy. */
export function chartSvg(results: CaseResult[], subtitle: string): string {
  const rows = results.filter((r) => r.vsWebgpu !== undefined || r.vsWasm !== undefined || (r.ofCopy !== undefined && r.kernel !== 'copy'));
  const bars = rows.map((r) => ({ label: `${r.kernel} ${r.shape}`, values: [r.vsWebgpu ?? NaN, r.vsWasm ?? NaN, r.ofCopy ?? NaN] }));
  return barChart(bars, {
    title: `Our kernels against TensorFlow.js and a plain copy (${subtitle})`,
    groups: ['speed vs tfjs-webgpu', 'speed vs tfjs-wasm', 'fraction of copy bandwidth'],
    log: true,
    lines: [{ value: 0.5, label: '50% of copy' }, { value: 1, label: '1x' }, { value: 3, label: '3x' }],
    valueLabel: 'ratio (> 1: ours faster)',
    labelWidth: Math.max(...bars.map((b) => b.label.length)) * 6.6 + 16,
    width: 1200,
  }) + '\n';
}
