// Progress of a fit(): one terminal bar per epoch (src/util/progress.ts) with the loss, the
// metrics, real tokens per second and the ETA; the same state goes to an `onProgress` callback,
// so a browser page renders it without stdout.
import { ProgressBar, type ProgressWriter } from '../util/progress.ts';
import type { Logs } from './history.ts';

export interface TrainProgress {
  /** 'train' after a step, 'validate' while the validation pass runs, 'epoch-end' with the epoch's final logs. */
  phase: 'train' | 'validate' | 'epoch-end';
  /** 0-based epoch, and the epochs planned (Infinity when only a step count was given). */
  epoch: number;
  epochs: number;
  /** Steps done in this epoch, and the epoch's steps when known. */
  step: number;
  stepsPerEpoch: number | undefined;
  /** Updates made so far, and the total planned when known. */
  globalStep: number;
  totalSteps: number | undefined;
  /** Means over the epoch so far, as last read from the GPU (every `logEvery` steps); 'val_' keys at epoch end. */
  logs: Logs;
  /** Learning rate of the last step. */
  lr: number;
  /** Real (non-padding) tokens and examples per second over the epoch so far. */
  tokensPerSecond: number;
  examplesPerSecond: number;
  /** Milliseconds since the epoch started, and estimated milliseconds left in it. */
  elapsedMs: number;
  etaMs: number | undefined;
}

export interface ProgressOptions {
  /** Draw a bar per epoch (on a terminal: redrawn in place; in logs: a line every few percent). Default true. */
  verbose?: boolean;
  /** Where the bar goes. Default process.stdout when it exists (nothing in a browser). */
  output?: ProgressWriter | null;
  /** Receives the state after every step and at the end of every epoch. */
  onProgress?: (p: TrainProgress) => void;
}

/** The bar's fields: tokens/s, the metrics ('-' until first read), validation metrics at the end. */
function barFields(names: readonly string[], logs: Logs, tokensPerSecond: number): Record<string, number | string> {
  const out: Record<string, number | string> = { 'tok/s': Math.round(tokensPerSecond) };
  for (const k of new Set([...names, ...Object.keys(logs)])) {
    const v = logs[k];
    out[k] = v === undefined ? '-' : Number.isFinite(v) ? Number(v.toPrecision(4)) : String(v);
  }
  return out;
}

export class EpochProgress {
  private readonly bar: ProgressBar | null;
  private readonly started = now();
  private state: TrainProgress;

  constructor(
    private readonly options: ProgressOptions,
    private readonly names: readonly string[],
    init: Omit<TrainProgress, 'phase' | 'step' | 'logs' | 'lr' | 'tokensPerSecond' | 'examplesPerSecond' | 'elapsedMs' | 'etaMs'>,
  ) {
    const epochs = Number.isFinite(init.epochs) ? `/${init.epochs}` : '';
    this.bar = options.verbose === false ? null : new ProgressBar({
      label: `Epoch ${init.epoch + 1}${epochs}`,
      unit: 'step',
      total: init.stepsPerEpoch,
      ...(options.output !== undefined ? { output: options.output } : {}),
    });
    this.state = { ...init, phase: 'train', step: 0, logs: {}, lr: 0, tokensPerSecond: 0, examplesPerSecond: 0, elapsedMs: 0, etaMs: undefined };
  }

  /**
   * After a step is submitted: steps so far in the epoch, and fresh logs when they were read.
   * `done` counts the steps, tokens and examples the GPU has finished (fit keeps one step in
   * flight): rates and the ETA come from those alone, or the first step would show the speed of
   * recording a step rather than running it.
   */
  step(step: number, globalStep: number, lr: number, done: { steps: number; tokens: number; examples: number }, logs?: Logs): void {
    const elapsedMs = now() - this.started;
    const s = this.state;
    const known = done.steps > 0 && elapsedMs > 0;
    Object.assign(s, {
      phase: 'train', step, globalStep, lr, elapsedMs,
      logs: logs ?? s.logs,
      tokensPerSecond: known ? (done.tokens * 1000) / elapsedMs : 0,
      examplesPerSecond: known ? (done.examples * 1000) / elapsedMs : 0,
      etaMs: s.stepsPerEpoch !== undefined && known ? Math.max(0, (s.stepsPerEpoch - done.steps) * (elapsedMs / done.steps)) : undefined,
    });
    this.bar?.update(done.steps, barFields(this.names, s.logs, s.tokensPerSecond));
    this.options.onProgress?.({ ...s, logs: { ...s.logs } });
  }

  validating(): void {
    this.state.phase = 'validate';
    this.options.onProgress?.({ ...this.state, logs: { ...this.state.logs } });
  }

  /** The epoch's final logs (training means and validation metrics). */
  finish(logs: Logs): void {
    Object.assign(this.state, { phase: 'epoch-end', logs, etaMs: 0 });
    this.bar?.finish(barFields(this.names, logs, this.state.tokensPerSecond));
    this.options.onProgress?.({ ...this.state, logs: { ...logs } });
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
