// The whole-model benchmark's shared part (Node: bench/train.ts; Chromium: bench/browser/train-page.ts):
// the cases, the masked-LM batches, the contenders (ours, and bench/tfjs-bert.ts on a tfjs backend),
// the interleaved measurement with a loss check at every step, and the report (tables, charts).
// Nothing here touches Node or the DOM.
import { BertForMaskedLM, bertConfig, memory, tensor, tidy, type Tensor } from '../src/index.ts';
import type { Engine } from '../src/gpu/engine.ts';
import type { KernelTime } from '../src/gpu/profiler.ts';
import { backward, noGrad } from '../src/autograd/tape.ts';
import type { BertConfig } from '../src/nn/config.ts';
import { AdamW } from '../src/optim/adamw.ts';
import { Random } from '../src/data/random.ts';
import type { WordPieceTokenizer } from '../src/data/wordpiece-tokenizer.ts';
import { barChart, lineChart } from '../src/util/chart.ts';
import type { ProgressBar } from '../src/util/progress.ts';
import type { Tf } from './peers.ts';
import { TfBertForMaskedLM, type HostBatch, type HostParam } from './tfjs-bert.ts';
import { fmt, markdown } from './report.ts';

export const MASKS = 20;
export const LR = 1e-3;
export const SEED = 7;
/** Steps before timing starts. */
const WARMUP = 1;

export interface Case {
  name: string;
  size: string;
  vocab: number;
  batch: number;
  seq: number;
  /** 'train': MLM training steps; 'forward': the backbone's forward pass. */
  kind: 'train' | 'forward';
  /** Steps, the first untimed; a case with 10 or more draws its loss curve. */
  steps: number;
}

/** The shapes; `quick`: BERT-tiny's 20-step curve and 4 steps of BERT-mini. */
export function benchCases(quick: boolean, steps = 6): Case[] {
  const tiny = (vocab: number): Case => ({ name: `train BERT-tiny V${vocab} 16x128`, size: 'bert-tiny', vocab, batch: 16, seq: 128, kind: 'train', steps: 20 });
  const train = (size: string, label: string, batch: number, n = steps): Case => ({ name: `train ${label} V30522 ${batch}x128`, size, vocab: 30522, batch, seq: 128, kind: 'train', steps: n });
  const forward = (batch: number): Case => ({ name: `forward BERT-base ${batch}x128`, size: 'bert-base', vocab: 30522, batch, seq: 128, kind: 'forward', steps });
  if (quick) return [tiny(8000), train('bert-mini', 'BERT-mini', 8, 4)];
  // Cheapest first: a long run that is stopped early has recorded the most.
  return [tiny(8000), tiny(30522), train('bert-mini', 'BERT-mini', 8), train('bert-small', 'BERT-small', 8), forward(1), train('bert-base', 'BERT-base', 4), forward(8)];
}

/** The cold-start case: the first step of BERT-mini in a fresh process (or page). */
export const COLD: Case = { name: 'cold first train step BERT-mini V30522 8x128', size: 'bert-mini', vocab: 30522, batch: 8, seq: 128, kind: 'train', steps: 1 };

/** A tfjs backend to compare against: tf with that backend registered and ready. */
export interface TfPeer {
  name: 'webgpu' | 'wasm';
  tf: Tf;
}

// ------------------------------------------------------------------ batches

/** Masked-LM batches from Brown: row r holds seq - 8 (r % 4) tokens then padding, MASKS of them masked. */
export class Batches {
  private readonly tokens: number[] = [];
  private readonly special: Set<number>;
  private doc = 0;

  /** `docs`: the texts the rows are cut from, in order (Brown's documents). */
  constructor(private readonly tok: WordPieceTokenizer, private readonly docs: readonly string[]) {
    if (!docs.length) throw new Error('Batches: no documents');
    this.special = new Set(tok.specialIds);
  }

  private take(n: number): number[] {
    while (this.tokens.length < n) {
      const ids = this.tok.encode(this.docs[this.doc++ % this.docs.length]).ids;
      for (const id of ids) if (!this.special.has(id)) this.tokens.push(id);
    }
    return this.tokens.splice(0, n);
  }

  /** The `index`-th batch of a shape: the same for every caller. */
  private cache = new Map<string, HostBatch>();
  get(index: number, batch: number, seq: number): HostBatch {
    const key = `${index}/${batch}/${seq}`;
    let b = this.cache.get(key);
    if (b) return b;
    const rng = new Random(SEED, index);
    const inputIds = new Int32Array(batch * seq);
    const attentionMask = new Int32Array(batch * seq);
    const maskPositions = new Int32Array(batch * MASKS);
    const labels = new Int32Array(batch * MASKS);
    for (let r = 0; r < batch; r++) {
      const len = seq - 8 * (r % 4);
      const row = [this.tok.clsId, ...this.take(len - 2), this.tok.sepId];
      row.forEach((id, i) => { inputIds[r * seq + i] = id; attentionMask[r * seq + i] = 1; });
      // MASKS distinct positions among the real tokens (not [CLS] or [SEP]), in increasing order.
      const picked = new Set<number>();
      while (picked.size < MASKS) picked.add(1 + (rng.nextUint32() % (len - 2)));
      [...picked].sort((a, b2) => a - b2).forEach((pos, j) => {
        maskPositions[r * MASKS + j] = pos;
        labels[r * MASKS + j] = row[pos];
        inputIds[r * seq + pos] = this.tok.maskId;
      });
    }
    b = { batch, seq, inputIds, attentionMask, maskPositions, labels, masksPerRow: MASKS };
    this.cache.set(key, b);
    return b;
  }
}

// ------------------------------------------------------------------ work

export function configOf(c: Case): BertConfig {
  return bertConfig(c.size, { vocab_size: c.vocab, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 });
}

/** Multiply-adds x 2 of the matmuls (attention's two products included): 3x the forward for a train step. */
export function flopsOf(c: Case): number {
  const { hidden_size: H, intermediate_size: I, num_hidden_layers: L, vocab_size: V } = configOf(c);
  const T = c.batch * c.seq;
  const layer = 2 * T * H * (4 * H + 2 * I) + 4 * c.batch * c.seq * c.seq * H;
  if (c.kind === 'forward') return L * layer;
  const N = c.batch * MASKS;
  return 3 * (L * layer + 2 * N * H * (H + V));
}

/** A contender: one step (returns its loss or output checksum, read back), and its peak memory over one step. */
export interface Runner {
  name: 'ours' | 'tfjs-webgpu' | 'tfjs-wasm';
  enter(): Promise<void>;
  step(b: HostBatch): Promise<number>;
  peakBytes(b: HostBatch): Promise<{ value: number; peak: number }>;
  dispose(): void;
}

/**
 * What a step's result is compared by: a loss as it is, a forward's hidden states (read back whole,
 * by both libraries alike) as a weighted sum. Not their plain mean: LayerNorm makes that ~0.
 */
function checksum(x: ArrayLike<number>): number {
  if (x.length === 1) return x[0];
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * ((i % 13) - 6 + 0.5);
  return s;
}

export async function hostParams(model: BertForMaskedLM): Promise<HostParam[]> {
  const named = model.namedParameters();
  const data = await Promise.all(named.map(([, p]) => p.value.data()));
  return named.map(([name, p], i) => ({ name, shape: [...p.shape], data: data[i] as Float32Array, decay: p.decay }));
}

export function oursRunner(e: Engine, c: Case, model: BertForMaskedLM): Runner {
  const opt = new AdamW(model, { lr: LR, maxGradNorm: 1 });
  const inputs = (b: HostBatch) => ({
    inputIds: tensor(b.inputIds, [b.batch, b.seq], 'i32'),
    attentionMask: tensor(b.attentionMask, [b.batch, b.seq], 'i32'),
    maskPositions: tensor(b.maskPositions, [b.batch, b.masksPerRow], 'i32'),
    labels: tensor(b.labels, [b.batch, b.masksPerRow], 'i32'),
  });
  const record = (b: HostBatch): Tensor => tidy(() => {
    const x = inputs(b);
    if (c.kind === 'forward') {
      return noGrad(() => model.bert.forward({ inputIds: x.inputIds, attentionMask: x.attentionMask }).sequenceOutput);
    }
    const { loss } = model.forward(x);
    backward(loss!);
    opt.step();
    opt.zeroGrad();
    return loss!;
  });
  const read = async (t: Tensor) => {
    const v = checksum(await t.data());
    t.dispose();
    return v;
  };
  return {
    name: 'ours',
    enter: async () => {},
    step: (b) => read(record(b)),
    async peakBytes(b) {
      e.resetPeakMemory();
      const value = await read(record(b));
      return { value, peak: memory().peakBytesInUse };
    },
    dispose() {
      opt.dispose();
    },
  };
}

export function tfjsRunner(peer: TfPeer, c: Case, params: HostParam[]): Runner {
  const { tf } = peer;
  const model = new TfBertForMaskedLM(tf, configOf(c), params);
  const record = (b: HostBatch) => (c.kind === 'forward'
    ? tf.tidy(() => model.encode(b))
    : model.trainStep(b, { lr: LR, maxGradNorm: 1 }));
  const read = async (t: import('@tensorflow/tfjs-core').Tensor) => {
    const v = checksum(await t.data());
    t.dispose();
    return v;
  };
  return {
    name: `tfjs-${peer.name}`,
    enter: async () => { await tf.setBackend(peer.name); },
    step: (b) => read(record(b)),
    async peakBytes(b) {
      // tfjs counts the tensors of every backend in one total: the peak above what was live
      // before the step, plus this model's own weights and moments.
      let value = NaN;
      const before = tf.memory().numBytes;
      const info = await tf.profile(async () => { value = await read(record(b)); });
      return { value, peak: Math.max(info.peakBytes, before) - before + model.persistentBytes() };
    },
    dispose: () => model.dispose(),
  };
}

// ------------------------------------------------------------------ measuring

export interface Timing { ms: number; runs: number[]; cpuMs?: number; tokensPerS: number; gflops: number; peakMB?: number }

export interface CaseResult {
  case: string;
  flops: number;
  tokens: number;
  contenders: Record<string, Timing | { error: string }>;
  /** Per-step values (losses, or the forward's output checksum) of each contender. */
  values: Record<string, number[]>;
  /** Largest relative difference from ours at any step, per peer. */
  maxRelDiff: Record<string, number>;
  ratios: Record<string, number>;
  profile?: KernelTime[] | null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

/** The process's CPU time, in Node (a page has no such clock). */
type CpuUsage = { user: number; system: number };
const proc = (globalThis as { process?: { cpuUsage(prev?: CpuUsage): CpuUsage } }).process;
const cpuUsage = proc && ((prev?: CpuUsage) => proc.cpuUsage(prev));

export async function runCase(e: Engine, c: Case, peers: TfPeer[], batches: Batches, progress: ProgressBar): Promise<CaseResult> {
  const model = new BertForMaskedLM(configOf(c), { seed: SEED });
  const params = await hostParams(model);
  const runners: Runner[] = [oursRunner(e, c, model)];
  const errors: Record<string, string> = {};
  for (const p of peers) {
    try {
      await p.tf.setBackend(p.name);
      runners.push(tfjsRunner(p, c, params));
    } catch (err) {
      errors[`tfjs-${p.name}`] = firstLine(err);
    }
  }
  const values: Record<string, number[]> = {};
  const times: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  const tokens = c.batch * c.seq;
  for (let s = 0; s < c.steps; s++) {
    const b = batches.get(c.kind === 'forward' ? 0 : s, c.batch, c.seq);
    for (const r of [...runners]) {
      try {
        await r.enter();
        const cpu0 = cpuUsage?.();
        const t0 = performance.now();
        const v = await r.step(b);
        const ms = performance.now() - t0;
        const used = cpu0 && cpuUsage!(cpu0);
        (values[r.name] ??= []).push(v);
        if (s >= WARMUP) {
          (times[r.name] ??= []).push(ms);
          if (used) (cpu[r.name] ??= []).push((used.user + used.system) / 1000);
        }
      } catch (err) {
        errors[r.name] = firstLine(err);
        runners.splice(runners.indexOf(r), 1);
        r.dispose();
      }
      progress.tick(1, { case: c.name, [r.name]: values[r.name]?.at(-1)?.toPrecision(6) ?? 'failed' });
    }
  }
  // Peak memory over one more step (untimed; tf.profile slows tfjs down), and our per-kernel profile.
  const peaks: Record<string, number> = {};
  const last = batches.get(c.kind === 'forward' ? 0 : c.steps, c.batch, c.seq);
  for (const r of runners) {
    await r.enter();
    const { value, peak } = await r.peakBytes(last);
    values[r.name].push(value);
    peaks[r.name] = peak;
  }
  let profile: KernelTime[] | null = null;
  if (runners[0]?.name === 'ours') {
    const ours = runners[0];
    profile = await e.profile(async () => { await ours.step(c.kind === 'forward' ? last : batches.get(c.steps + 1, c.batch, c.seq)); });
  }
  for (const r of runners) r.dispose();
  model.dispose();

  const flops = flopsOf(c);
  const contenders: CaseResult['contenders'] = {};
  for (const [name, err] of Object.entries(errors)) contenders[name] = { error: err };
  for (const r of runners) {
    const ms = median(times[r.name]);
    contenders[r.name] = { ms, runs: times[r.name], cpuMs: cpu[r.name] ? median(cpu[r.name]) : undefined, tokensPerS: tokens / (ms / 1000), gflops: flops / ms / 1e6, peakMB: peaks[r.name] / 2 ** 20 };
  }
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
  const maxRelDiff: Record<string, number> = {};
  const ratios: Record<string, number> = {};
  const ours = values.ours ?? [];
  for (const name of Object.keys(values).filter((n) => n !== 'ours')) {
    const v = values[name];
    maxRelDiff[name] = Math.max(...v.map((x, i) => (Number.isFinite(x) && Number.isFinite(ours[i]) ? rel(x, ours[i]) : Infinity)));
    const a = contenders.ours, p = contenders[name];
    if (a && 'ms' in a && p && 'ms' in p) ratios[name] = p.ms / a.ms;
  }
  return { case: c.name, flops, tokens, contenders, values, maxRelDiff, ratios, profile };
}

// ------------------------------------------------------------------ report

export const NAMES = ['ours', 'tfjs-webgpu', 'tfjs-wasm'];

function cell(t: CaseResult['contenders'][string] | undefined): string {
  if (!t) return '-';
  if ('error' in t) return 'failed';
  return `${fmt(t.ms, 1)} ms, ${fmt(t.gflops, 1)} GF/s`;
}

export function resultsTable(results: CaseResult[]): string {
  const rows = results.map((r) => [
    r.case,
    ...NAMES.map((n) => cell(r.contenders[n])),
    ...NAMES.slice(1).map((n) => (r.ratios[n] ? `${fmt(r.ratios[n])}x` : '-')),
    ...NAMES.slice(1).map((n) => (r.maxRelDiff[n] !== undefined ? r.maxRelDiff[n].toExponential(1) : '-')),
    NAMES.map((n) => { const t = r.contenders[n]; return t && 'peakMB' in t ? fmt(t.peakMB, 0) : '-'; }).join(' / '),
    (() => { const t = r.contenders.ours; return t && 'tokensPerS' in t ? fmt(t.tokensPerS, 0) : '-'; })(),
  ]);
  return markdown(['case', 'ours', 'tfjs-webgpu', 'tfjs-wasm', 'vs webgpu', 'vs wasm', 'max rel diff webgpu', 'max rel diff wasm', 'peak MB (ours / webgpu / wasm)', 'ours tokens/s'], rows);
}

export function profileTable(p: KernelTime[]): string {
  const total = p.reduce((s, k) => s + k.ms, 0);
  const rows = [...p].sort((a, b) => b.ms - a.ms).slice(0, 12).map((k) => [k.kernel, String(k.count), fmt(k.ms, 1), `${((100 * k.ms) / total).toFixed(1)}%`]);
  return markdown(['kernel (shader)', 'dispatches', 'GPU ms', 'share'], rows);
}

export function charts(results: CaseResult[], subtitle: string): { ratios: string; curves: string } {
  const bars = results.map((r) => ({ label: r.case, values: [r.ratios['tfjs-webgpu'] ?? NaN, r.ratios['tfjs-wasm'] ?? NaN] }));
  const ratios = barChart(bars, {
    title: `Whole BERT steps against TensorFlow.js (${subtitle})`,
    groups: ['speed vs tfjs-webgpu', 'speed vs tfjs-wasm'],
    log: true,
    lines: [{ value: 1, label: '1x' }, { value: 5, label: '5x target' }],
    valueLabel: 'ratio (> 1: ours faster)',
    labelWidth: Math.max(...bars.map((b) => b.label.length)) * 6.6 + 16,
    width: 1000,
  }) + '\n';
  const curved = results.filter((r) => r.case.startsWith('train') && (r.values.ours?.length ?? 0) >= 10);
  const series = curved.flatMap((r) => NAMES.filter((n) => r.values[n]).map((n) => ({ name: `${r.case.replace('train ', '').replace(' 16x128', '')} ${n}`, values: r.values[n], dashed: n !== 'ours' })));
  const curves = lineChart(series, { title: `MLM loss per step, same weights and batches (${subtitle})`, xLabel: 'step', yLabel: 'loss', width: 900 }) + '\n';
  return { ratios, curves };
}

