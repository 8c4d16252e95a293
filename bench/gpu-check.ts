// npm run gpu-check -- [--quick] [--all-classes] [--out DIR]
//
// One command to run on any adapter (a lent GPU machine first of all): prints the adapter, its
// limits and the kernel class it selects; runs the kernel parity checks of
// test/util/kernel-checks.ts for that class (every class with --all-classes); then times matmul
// (square 1024-4096, BERT-base FFN and its two backward products), attention forward+backward
// (BERT-base S 128 and 512) and a BERT-base MLM train step (4 x 128) in f32 and in mixed precision
// (f16 activations, loss scaling) with the peak memory of each, and, on the hardware class,
// sweeps the tiled matmul's tile shapes (MATMUL_TILE_SWEEP). Writes
// bench/results/gpu-check-<adapter>.json and .md: GFLOP/s and, for adapters in PEAKS, the fraction
// of the card's f32 peak. Exits 1 when a parity check fails (after writing the results).
//
// Timing: wall clock from the first launch of a run to the end of a GPU sync, divided by the
// iterations in the run (at least MIN_RUN_MS of work), median of RUNS runs after a warm-up (of 3
// single iterations when one takes over a second).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, loadWordPieceTokenizer, ops, shutdown, tensor, tidy, type Tensor } from '../src/node.ts';
import type { Engine } from '../src/gpu/engine.ts';
import { f32ToF16Bits } from '../src/gpu/dtype.ts';
import { attention, attentionBackward, attentionVariant } from '../src/kernels/attention.ts';
import { MATMUL_TILE_SWEEP, matmulConfig, withMatmulTiles } from '../src/kernels/matmul.ts';
import { checkClass, type KernelCheck } from '../test/util/kernel-checks.ts';
import { uniform } from '../test/util/random.ts';
import { fmt, markdown } from './report.ts';
import { Trainer, peakOf, type DT } from './trainer.ts';
import { Batches, flopsOf, type Case } from './train-core.ts';
import { VOCAB, brownDocs } from './brown.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const ALL = args.includes('--all-classes');
const OUT = args.includes('--out') ? args[args.indexOf('--out') + 1] : join(ROOT, 'bench/results');
for (const a of args) {
  if (a.startsWith('--') && !['--quick', '--all-classes', '--out'].includes(a)) throw new Error(`gpu-check: unknown option ${a} (expected --quick, --all-classes, --out DIR)`);
}
const RUNS = QUICK ? 3 : 5;
const MIN_RUN_MS = QUICK ? 50 : 200;

/** f32 peak TFLOP/s (non-tensor-core FMA rate x 2) of adapters whose description matches. */
const PEAKS: [RegExp, string, number][] = [
  [/H100.*PCIe/i, 'NVIDIA H100 PCIe', 51.2],
  [/H100/i, 'NVIDIA H100 SXM', 66.9],
  [/A100/i, 'NVIDIA A100', 19.5],
  [/L4\b/i, 'NVIDIA L4', 30.3],
  [/T4\b/i, 'NVIDIA T4', 8.1],
  [/RTX 4090/i, 'NVIDIA RTX 4090', 82.6],
  [/RTX 3090/i, 'NVIDIA RTX 3090', 35.6],
  [/Apple M1/i, 'Apple M1', 2.6],
  [/Apple M2/i, 'Apple M2', 3.6],
];

interface Row { name: string; ms: number; gflops: number; ofPeak?: number; note?: string }

/** Median ms per iteration of each contender, their runs interleaved (A, B, A, B, ...) so load hits both alike. */
async function timeEach(e: Engine, iterates: (() => unknown)[]): Promise<number[]> {
  const dispose = (x: unknown) => (Array.isArray(x) ? x.forEach(dispose) : (x as Tensor | undefined)?.dispose?.());
  const once = async (iterate: () => unknown, iterations = 1) => {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) dispose(iterate());
    await e.sync();
    return (performance.now() - t0) / iterations;
  };
  for (const it of iterates) await once(it); // warm-up: pipelines compile
  const first = [];
  for (const it of iterates) first.push(await once(it));
  // Slow cases (a CPU adapter running GPU kernels): the first timed run counts, and 3 in all.
  const slow = Math.max(...first) > 1000;
  const runs = first.map((f) => (slow ? [f] : []));
  // Iterations per run: enough for MIN_RUN_MS.
  const iterations = first.map((f) => (slow ? 1 : Math.max(1, Math.min(200, Math.ceil(MIN_RUN_MS / Math.max(f, 0.01))))));
  for (let r = slow ? 1 : 0; r < (slow ? 3 : RUNS); r++) {
    for (let i = 0; i < iterates.length; i++) runs[i].push(await once(iterates[i], iterations[i]));
  }
  return runs.map((xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
}

const time = async (e: Engine, iterate: () => unknown) => (await timeEach(e, [iterate]))[0];

function matmulCase(label: string, M: number, N: number, K: number, o: { transA?: boolean; transB?: boolean; bias?: boolean; gelu?: boolean; f16?: boolean } = {}) {
  const operand = (n: number, seed: number, shape: number[]) => (o.f16
    ? tensor(Uint16Array.from(uniform(n, seed), f32ToF16Bits), shape, 'f16')
    : tensor(uniform(n, seed), shape));
  return { label: o.f16 ? `${label} f16 operands` : label, flops: 2 * M * N * K, f16: o.f16, twin: () => matmulCase(label, M, N, K, { ...o, f16: true }), make: () => {
    const a = operand(M * K, M + K, o.transA ? [K, M] : [M, K]);
    const b = operand(K * N, N + K, o.transB ? [N, K] : [K, N]);
    const bias = o.bias ? tensor(uniform(N, 3)) : undefined;
    const opts = { transA: o.transA, transB: o.transB, bias, activation: o.gelu ? 'gelu' as const : undefined };
    return { iterate: () => ops.matmul(a, b, opts), dispose: () => [a, b, bias].forEach((t) => t?.dispose()) };
  } };
}

function attentionCase(B: number, S: number, H: number, D: number) {
  const flops = 3 * 4 * B * H * S * S * D; // forward (two products) + backward (four) as bench:kernels counts it
  return { label: `attention fwd+bwd B${B} S${S} H${H} D${D}`, flops, make: () => {
    const n = B * S * H * D;
    const [q, k, v, dy] = [1, 2, 3, 4].map((s) => tensor(uniform(n, s), [B, S, H * D]));
    return {
      iterate: () => tidy(() => {
        const { out, lse } = attention(q, k, v, { heads: H });
        const g = attentionBackward(q, k, v, out, dy, lse, { heads: H });
        return [g.dq, g.dk, g.dv];
      }),
      dispose: () => [q, k, v, dy].forEach((t) => t.dispose()),
    };
  } };
}

async function main() {
  const started = performance.now();
  const loadStart = loadavg();
  const e = await init();
  const r = e.ctx.report;
  const peak = PEAKS.find(([re]) => re.test(`${r.description} ${r.device}`));
  console.log(`adapter: ${e.adapter}`);
  console.log(`kernel class: ${e.kernels} (matmul ${matmulConfig(e).tiles.main}, attention ${attentionVariant(e)})${peak ? `; f32 peak ${peak[2]} TFLOP/s (${peak[1]})` : '; f32 peak unknown'}`);
  console.log(`features: ${r.features.join(', ')}`);
  console.log(markdown(['limit', 'value'], Object.entries(r.limits).map(([k, v]) => [k, String(v)])));
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; load at start ${loadStart.map((l) => l.toFixed(2)).join(' ')}\n`);

  // ---- parity
  const classes = ALL ? (['software', 'hardware', 'portable'] as const) : [e.kernels];
  const checks: KernelCheck[] = [];
  for (const cls of classes) {
    const t0 = performance.now();
    const got = await checkClass(cls);
    checks.push(...got);
    const ran = got.filter((c) => !c.skipped);
    const failed = got.filter((c) => c.report !== null);
    console.log(`parity ${cls}: ${ran.length} checks, ${failed.length} failed (${((performance.now() - t0) / 1000).toFixed(1)} s)${got.find((c) => c.skipped) ? `; skipped: ${got.find((c) => c.skipped)!.skipped}` : ''}`);
    for (const f of failed) console.log(`  FAILED ${f.name}\n${f.report}`);
  }
  const failed = checks.filter((c) => c.report !== null);

  // ---- kernels
  const sizes = QUICK ? [1024, 2048] : [1024, 2048, 4096];
  const cases = [
    ...sizes.map((n) => matmulCase(`matmul ${n}^3`, n, n, n)),
    matmulCase('matmul BERT-base FFN1 2048x768 @ 768x3072 +bias +gelu', 2048, 3072, 768, { bias: true, gelu: true }),
    matmulCase('matmul FFN1 dX = dY W^T 2048x3072 @ 3072x768', 2048, 768, 3072, { transB: true }),
    matmulCase('matmul FFN1 dW = X^T dY 768x2048 @ 2048x3072', 768, 3072, 2048, { transA: true }),
    attentionCase(4, 128, 12, 64),
    attentionCase(QUICK ? 1 : 4, 512, 12, 64),
  ];
  const rows: Row[] = [];
  const row = (name: string, ms: number, flops: number, note?: string): Row => {
    const gflops = flops / ms / 1e6;
    return { name, ms, gflops, ofPeak: peak ? gflops / (peak[2] * 1000) : undefined, note };
  };
  for (const c of cases) {
    // Each matmul also with both operands stored in f16 (unpacked to f32 as they load), interleaved.
    const twin = 'twin' in c ? c.twin() : null;
    const made = [c.make(), ...(twin ? [twin.make()] : [])];
    const [ms, ms16] = await timeEach(e, made.map((m) => m.iterate));
    made.forEach((m) => m.dispose());
    rows.push(row(c.label, ms, c.flops));
    console.log(`${c.label}: ${fmt(ms)} ms, ${fmt(rows.at(-1)!.gflops)} GFLOP/s`);
    if (twin) {
      rows.push(row(twin.label, ms16, twin.flops, `${fmt(ms / ms16)}x the f32 rate`));
      console.log(`${twin.label}: ${fmt(ms16)} ms, ${fmt(rows.at(-1)!.gflops)} GFLOP/s (${fmt(ms / ms16)}x f32)`);
    }
  }

  // ---- a BERT-base train step, f32 and mixed precision (f16 activations, loss scaling):
  // steps interleaved, then the peak memory of one step of each alone in the engine.
  const trainCase: Case = { name: 'BERT-base MLM train step 4x128', size: 'bert-base', vocab: 30522, batch: 4, seq: 128, kind: 'train', steps: 3 };
  const batches = new Batches(loadWordPieceTokenizer(VOCAB), await brownDocs());
  const dtypes: DT[] = e.hasF16 ? ['f32', 'f16'] : ['f32'];
  const trainers = dtypes.map((d) => new Trainer(trainCase, d));
  const steps: Record<string, number[]> = { f32: [], f16: [] };
  const losses: Record<string, number> = {};
  for (let s = 0; s < trainCase.steps; s++) {
    for (const t of trainers) {
      const t0 = performance.now();
      losses[t.dtype] = await t.step(batches.get(s, trainCase.batch, trainCase.seq));
      steps[t.dtype].push(performance.now() - t0);
    }
  }
  trainers.forEach((t) => t.dispose());
  const peaks: Record<string, number> = {};
  for (const d of dtypes) peaks[d] = (await peakOf(e, trainCase, d, batches)).peak;
  for (const d of dtypes) {
    const warm = steps[d].slice(1).sort((a, b) => a - b)[0];
    const name = d === 'f32' ? trainCase.name : `${trainCase.name} f16 (mixed precision)`;
    const vs = d === 'f16' ? `; ${fmt(Math.min(...steps.f32.slice(1)) / warm)}x the f32 speed, ${fmt(peaks.f16 / peaks.f32)}x its memory` : '';
    rows.push(row(name, warm, flopsOf(trainCase), `first step ${fmt(steps[d][0] / 1000)} s; loss ${losses[d].toFixed(3)}; peak ${fmt(peaks[d] / 2 ** 20)} MB${vs}`));
    console.log(`${name}: ${fmt(warm)} ms (first ${fmt(steps[d][0])} ms), loss ${losses[d].toFixed(3)}, peak ${fmt(peaks[d] / 2 ** 20)} MB${vs}`);
  }

  // ---- the tile sweep (hardware class): which tiles this card likes
  const sweep: Row[] = [];
  if (e.kernels === 'hardware') {
    for (const tiles of MATMUL_TILE_SWEEP) {
      const label = `tiled WG ${tiles.WGX}x${tiles.WGY} block ${tiles.TM}x${tiles.TN} BK ${tiles.BK}`;
      // (A CPU adapter forced to the hardware class sweeps a smaller square: the point is the code path.)
      const n = r.software ? 1024 : sizes.at(-1)!;
      for (const c of [matmulCase(`${n}^3`, n, n, n), matmulCase('FFN1', 2048, 3072, 768)]) {
        const m = c.make();
        const ms = await time(e, () => withMatmulTiles(tiles, m.iterate));
        m.dispose();
        sweep.push(row(`${label}: ${c.label}`, ms, c.flops));
        console.log(`${sweep.at(-1)!.name}: ${fmt(sweep.at(-1)!.gflops)} GFLOP/s`);
      }
    }
  }

  const loadEnd = loadavg();
  const table = (rs: Row[]) => markdown(['case', 'ms', 'GFLOP/s', 'of f32 peak', 'note'], rs.map((x) => [
    x.name, fmt(x.ms), fmt(x.gflops), x.ofPeak === undefined ? '-' : `${(100 * x.ofPeak).toFixed(1)}%`, x.note ?? '',
  ]));
  const md = [
    `# gpu-check: ${e.adapter}`, '',
    `kernel class ${e.kernels}; ${peak ? `f32 peak ${peak[2]} TFLOP/s (${peak[1]})` : 'f32 peak unknown'}; load ${loadStart.map((l) => l.toFixed(2)).join(' ')} -> ${loadEnd.map((l) => l.toFixed(2)).join(' ')}; ${((performance.now() - started) / 1000).toFixed(0)} s in all`, '',
    `parity: ${checks.filter((c) => !c.skipped).length} checks over ${classes.join(', ')}, ${failed.length} failed`, '',
    table(rows), '',
    ...(sweep.length ? ['## tiled matmul tile sweep', '', table(sweep), ''] : []),
  ].join('\n');
  console.log(`\n${md}`);
  const slug = (r.description || r.device || r.vendor || 'adapter').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
  mkdirSync(OUT, { recursive: true });
  const json = {
    date: new Date().toISOString(), adapter: e.adapter, report: r, kernels: e.kernels, peak: peak && { name: peak[1], tflops: peak[2] },
    load: { start: loadStart, end: loadEnd }, seconds: (performance.now() - started) / 1000,
    parity: { classes, checks: checks.length, failed: failed.map((f) => ({ cls: f.cls, name: f.name, report: f.report })) },
    results: rows, sweep,
  };
  writeFileSync(join(OUT, `gpu-check-${slug}.json`), `${JSON.stringify(json, null, 1)}\n`);
  writeFileSync(join(OUT, `gpu-check-${slug}.md`), `${md}\n`);
  console.log(`wrote ${join(OUT, `gpu-check-${slug}.json`)} and .md`);
  shutdown();
  if (failed.length) process.exitCode = 1;
}

await main();
