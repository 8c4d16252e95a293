// Mixed precision against f32 on this adapter (issue 11): for each shape, the peak GPU memory of
// one MLM training step (each dtype alone in the engine), step time (f32 and f16 interleaved,
// median after warm-up, the loss read back every step), and a loss curve of both from the same
// weights and batches (drawn as a chart). Results: bench/results/f16.{json,md,svg}.
//
//   npm run bench:f16 [-- --quick] [-- --memory] [-- --only "BERT-mini"] [-- --steps 9] [-- --curve 300]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, loadWordPieceTokenizer, shutdown } from '../src/node.ts';
import { lineChart } from '../src/util/chart.ts';
import { ProgressBar } from '../src/util/progress.ts';
import { VOCAB, brownDocs } from './brown.ts';
import { Batches, flopsOf, type Case } from './train-core.ts';
import { Trainer, peakOf, type DT } from './trainer.ts';
import { fmt, markdown } from './report.ts';

const OUT = join(dirname(fileURLToPath(import.meta.url)), 'results');
const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const QUICK = args.includes('--quick');
const ONLY = option('--only');
const STEPS = Number(option('--steps') ?? (QUICK ? 4 : 7));
// --memory: only the peak memory of every shape (no timing, no curve).
const MEMORY = args.includes('--memory');
const CURVE = MEMORY ? 0 : Number(option('--curve') ?? (QUICK ? 40 : 300));

const shape = (size: string, label: string, batch: number, memoryOnly = false): Case & { memoryOnly: boolean } => ({ name: `${label} V30522 ${batch}x128`, size, vocab: 30522, batch, seq: 128, kind: 'train', steps: STEPS, memoryOnly });
// Timed shapes, then larger ones whose peak memory alone is measured (a step there takes 10-40 s
// on a CPU adapter): memory is where f16 pays on every adapter, more as activations outgrow the
// weights and their AdamW state (which stay f32).
const CASES = [
  shape('bert-tiny', 'BERT-tiny', 16, MEMORY),
  shape('bert-mini', 'BERT-mini', 8, MEMORY),
  shape('bert-mini', 'BERT-mini', 32, MEMORY),
  ...(QUICK ? [] : [shape('bert-small', 'BERT-small', 8, MEMORY), shape('bert-mini', 'BERT-mini', 48, true), shape('bert-base', 'BERT-base', 8, true)]),
].filter((c) => !ONLY || c.name.includes(ONLY));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Row {
  case: string;
  msF32: number;
  msF16: number;
  peakF32MB: number;
  peakF16MB: number;
  /** Held between steps (weights, AdamW moments): the same in both. */
  residentF32MB: number;
  residentF16MB: number;
  gflopsF32: number;
  gflopsF16: number;
  skipped: number;
}

async function main(): Promise<void> {
  const loadStart = loadavg();
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB`;
  const e = await init();
  if (!e.hasF16) throw new Error(`bench:f16: this adapter (${e.adapter}) has no shader-f16`);
  const batches = new Batches(loadWordPieceTokenizer(VOCAB), await brownDocs());
  console.log(`adapter: ${e.adapter} (kernels: ${e.kernels})\nmachine: ${machine}; load at start ${loadStart.map((l) => l.toFixed(2)).join(' ')}`);
  const rows: Row[] = [];
  for (const c of CASES) {
    const progress = new ProgressBar({ label: c.name, unit: 'step', total: c.memoryOnly ? 4 : 2 * STEPS + 4 });
    const m32 = await peakOf(e, c, 'f32', batches);
    progress.update(2);
    const m16 = await peakOf(e, c, 'f16', batches);
    progress.update(4);
    const mb = (x: number) => x / 2 ** 20;
    const memoryRow = { peakF32MB: mb(m32.peak), peakF16MB: mb(m16.peak), residentF32MB: mb(m32.resident), residentF16MB: mb(m16.resident) };
    const peakF32 = m32.peak;
    const peakF16 = m16.peak;
    if (c.memoryOnly) {
      progress.finish();
      rows.push({ case: c.name, msF32: NaN, msF16: NaN, ...memoryRow, gflopsF32: NaN, gflopsF16: NaN, skipped: 0 });
      console.log(`${c.name}: peak f32 ${fmt(mb(peakF32))} MB, f16 ${fmt(mb(peakF16))} MB (${fmt(peakF16 / peakF32)}x); of which the step's own: ${fmt(mb(peakF32 - m32.resident))} / ${fmt(mb(peakF16 - m16.resident))} MB (${fmt((peakF16 - m16.resident) / (peakF32 - m32.resident))}x)`);
      continue;
    }
    // Timing: both alive, steps interleaved (f32, f16, f32, ...) so load changes hit both alike.
    const t32 = new Trainer(c, 'f32');
    const t16 = new Trainer(c, 'f16');
    const ms: Record<DT, number[]> = { f32: [], f16: [] };
    for (let s = 0; s < STEPS; s++) {
      for (const t of [t32, t16]) {
        const start = performance.now();
        await t.step(batches.get(s, c.batch, c.seq));
        if (s > 0) ms[t.dtype].push(performance.now() - start);
        progress.update(2 * s + (t === t32 ? 5 : 6));
      }
    }
    progress.finish();
    const flops = flopsOf(c) / 1e9;
    const row: Row = {
      case: c.name,
      msF32: median(ms.f32), msF16: median(ms.f16),
      ...memoryRow,
      gflopsF32: flops / (median(ms.f32) / 1000), gflopsF16: flops / (median(ms.f16) / 1000),
      skipped: t16.scaler!.skipped,
    };
    rows.push(row);
    console.log(`${c.name}: f32 ${fmt(row.msF32)} ms, f16 ${fmt(row.msF16)} ms (${fmt(row.msF32 / row.msF16)}x); peak f32 ${fmt(row.peakF32MB)} MB, f16 ${fmt(row.peakF16MB)} MB (${fmt(row.peakF16MB / row.peakF32MB)}x)`);
    t32.dispose();
    t16.dispose();
  }

  // The loss curve of both from the same weights and batches (BERT-tiny).
  const curveCase = shape('bert-tiny', 'BERT-tiny', 16);
  const curve: Record<DT, number[]> = { f32: [], f16: [] };
  let skipped = 0;
  if (CURVE > 0) {
    const progress = new ProgressBar({ label: `loss curve ${curveCase.name}`, unit: 'step', total: CURVE });
    const trainers = [new Trainer(curveCase, 'f32'), new Trainer(curveCase, 'f16')];
    for (let s = 0; s < CURVE; s++) {
      for (const t of trainers) curve[t.dtype].push(await t.step(batches.get(s, curveCase.batch, curveCase.seq)));
      progress.update(s + 1);
    }
    progress.finish();
    skipped = trainers[1].scaler!.skipped;
    trainers.forEach((t) => t.dispose());
  }
  const window = (xs: number[]) => xs.slice(-Math.min(50, xs.length));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  const lastF32 = mean(window(curve.f32));
  const lastF16 = mean(window(curve.f16));
  const loadEnd = loadavg();

  const table = markdown(
    ['case', 'f32 ms', 'f16 ms', 'f16 speed', 'f32 GFLOP/s', 'f16 GFLOP/s', 'peak f32 MB', 'peak f16 MB', 'f16 / f32 peak', 'step own f32 / f16 MB', 'f16 / f32 step own', 'skipped'],
    rows.map((r) => [r.case, fmt(r.msF32), fmt(r.msF16), Number.isFinite(r.msF16) ? `${fmt(r.msF32 / r.msF16)}x` : '-', fmt(r.gflopsF32), fmt(r.gflopsF16), fmt(r.peakF32MB, 1), fmt(r.peakF16MB, 1), `${fmt(r.peakF16MB / r.peakF32MB)}x`,
      `${fmt(r.peakF32MB - r.residentF32MB, 1)} / ${fmt(r.peakF16MB - r.residentF16MB, 1)}`, `${fmt((r.peakF16MB - r.residentF16MB) / (r.peakF32MB - r.residentF32MB))}x`, Number.isFinite(r.msF16) ? String(r.skipped) : '-']),
  );
  const summary = CURVE > 0
    ? `Loss curve ${curveCase.name}, ${CURVE} steps, same weights and batches: mean of the last ${window(curve.f32).length} steps f32 ${lastF32.toFixed(4)}, f16 ${lastF16.toFixed(4)} (difference ${(lastF16 - lastF32).toFixed(4)}); f16 skipped ${skipped} steps.`
    : '';
  const head = `adapter ${e.adapter} (kernels ${e.kernels}); ${machine}; load ${loadStart.map((l) => l.toFixed(2)).join(' ')} -> ${loadEnd.map((l) => l.toFixed(2)).join(' ')}; median of ${STEPS - 1} interleaved steps after one warm-up`;
  console.log(`\n${head}\n\n${table}\n${summary}`);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, MEMORY ? 'f16-memory.json' : 'f16.json'), JSON.stringify({ adapter: e.adapter, kernels: e.kernels, machine, loadStart, loadEnd, steps: STEPS, rows, curve: { case: curveCase.name, steps: CURVE, f32: curve.f32, f16: curve.f16, skipped } }, null, 1) + '\n');
  writeFileSync(join(OUT, MEMORY ? 'f16-memory.md' : 'f16.md'), `# f16 against f32\n\n${head}\n\n${table}\n${summary}\n`);
  if (CURVE > 0) {
    writeFileSync(join(OUT, 'f16-curve.svg'), lineChart([
      { name: 'f32', values: curve.f32 },
      { name: 'f16 (loss scaling)', values: curve.f16, dashed: true },
    ], { title: `MLM loss per step, ${curveCase.name}, f32 and mixed precision (${e.adapter.split(' (')[0]})`, xLabel: 'step', yLabel: 'loss', width: 900 }) + '\n');
  }
  await shutdown();
}

await main();
