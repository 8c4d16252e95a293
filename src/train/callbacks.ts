// Hooks into fit(): per-step and per-epoch callbacks (Keras' Callback), and EarlyStopping.
import { keep } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { copy, copyInto } from '../kernels/fill.ts';
import type { BertTaskModel } from '../nn/pretrained.ts';
import type { AdamW } from '../optim/adamw.ts';
import type { History, Logs } from './history.ts';
import type { Task } from './task.ts';

/** What callbacks see of a running fit(). */
export interface TrainContext {
  readonly model: BertTaskModel;
  readonly task: Task<never, never, unknown, never>;
  readonly optimizer: AdamW;
  readonly history: History;
  /** Epochs planned (Infinity when only a step count was given). */
  readonly epochs: number;
  /** Steps per epoch, when known. */
  readonly stepsPerEpoch: number | undefined;
  /** Total steps planned, when known. */
  readonly totalSteps: number | undefined;
  /** Whether epochs end with a validation pass ('val_' logs). */
  readonly hasValidation: boolean;
  /** Every log key an epoch will have: 'loss', 'accuracy', and their 'val_' twins with validation. */
  readonly logKeys: readonly string[];
  /** Updates made so far. */
  readonly globalStep: number;
  /** Asks fit() to end after the current step (or at once, between epochs). */
  stop(reason: string): void;
  readonly stopRequested: boolean;
}

export interface StepInfo {
  /** Global step, 1-based (updates made so far). */
  step: number;
  /** 0-based epoch and 1-based step within it. */
  epoch: number;
  stepInEpoch: number;
  /** Learning rate this step used. */
  lr: number;
  examples: number;
  tokens: number;
  /**
   * Present on the steps where fit() read the metrics (every `logEvery` steps): their values over
   * the steps since the previous read. Reading costs a wait for the GPU, so other steps carry none.
   */
  logs?: Logs;
}

/** Every hook is optional and may be async (fit waits for it). Epochs are 0-based. */
export interface Callback {
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: TrainContext): void | Promise<void>;
  onStepEnd?(info: StepInfo, ctx: TrainContext): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs, ctx: TrainContext): void | Promise<void>;
  onTrainEnd?(ctx: TrainContext): void | Promise<void>;
}

/** Runs the hooks of several callbacks in order. */
export class CallbackList {
  constructor(private readonly callbacks: readonly Callback[]) {}

  async trainBegin(ctx: TrainContext): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin?.(ctx);
  }
  async epochBegin(epoch: number, ctx: TrainContext): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin?.(epoch, ctx);
  }
  async stepEnd(info: StepInfo, ctx: TrainContext): Promise<void> {
    for (const c of this.callbacks) await c.onStepEnd?.(info, ctx);
  }
  async epochEnd(epoch: number, logs: Logs, ctx: TrainContext): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd?.(epoch, logs, ctx);
  }
  async trainEnd(ctx: TrainContext): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd?.(ctx);
  }
}

export type MonitorMode = 'min' | 'max' | 'auto';

/** Keras' rule: a monitored value containing 'acc' improves upwards, anything else downwards. */
export function resolveMode(monitor: string, mode: MonitorMode): 'min' | 'max' {
  if (mode === 'min' || mode === 'max') return mode;
  if (mode !== 'auto') throw new Error(`mode must be 'min', 'max' or 'auto', got ${JSON.stringify(mode)}`);
  return /acc/.test(monitor) ? 'max' : 'min';
}

/** Throws unless an epoch's logs will have `monitor`. */
export function checkMonitor(who: string, monitor: string, ctx: TrainContext): void {
  if (ctx.logKeys.includes(monitor)) return;
  if (monitor.startsWith('val_') && !ctx.hasValidation) {
    throw new Error(`${who}: monitor '${monitor}' needs validation data (fit's validationData); the logs will have ${ctx.logKeys.join(', ')}`);
  }
  throw new Error(`${who}: monitor '${monitor}' is not a log key of this fit (${ctx.logKeys.join(', ')})`);
}

/** Tracks the best value of a monitored log key. */
export class Monitor {
  readonly mode: 'min' | 'max';
  best: number;
  bestEpoch = -1;

  constructor(readonly key: string, mode: MonitorMode = 'auto', readonly minDelta = 0) {
    if (!(minDelta >= 0)) throw new Error(`minDelta must be >= 0, got ${minDelta}`);
    this.mode = resolveMode(key, mode);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** Whether `value` beats `than` (the best so far by default) by more than minDelta. */
  improves(value: number, than = this.best): boolean {
    if (Number.isNaN(value)) return false;
    return this.mode === 'min' ? value < than - this.minDelta : value > than + this.minDelta;
  }

  reset(): void {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.bestEpoch = -1;
  }
}

export interface EarlyStoppingOptions {
  /** Log key to watch. Default 'val_loss'. */
  monitor?: string;
  /** 'min', 'max', or 'auto' (max for keys containing 'acc'). Default 'auto'. */
  mode?: MonitorMode;
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** At the end of training, put back the weights of the best epoch (kept as GPU copies). Default false. */
  restoreBestWeights?: boolean;
  /** A value the monitor must beat before patience starts counting down from a best. */
  baseline?: number;
  /** Epochs before the first one that can stop training. Default 0. */
  startFromEpoch?: number;
}

/** Stops training when a monitored log stops improving (Keras' EarlyStopping, same counting). */
export class EarlyStopping implements Callback {
  readonly monitor: Monitor;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  /** Epoch at which training was stopped, or -1. */
  stoppedEpoch = -1;
  /** Whether onTrainEnd put the best epoch's weights back. */
  restored = false;
  private readonly baseline: number | undefined;
  private readonly startFromEpoch: number;
  private wait = 0;
  private lastEpoch = -1;
  private snapshot: Map<string, Tensor> | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    this.monitor = new Monitor(options.monitor ?? 'val_loss', options.mode ?? 'auto', options.minDelta ?? 0);
    this.patience = options.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new Error(`EarlyStopping: patience must be an integer >= 0, got ${this.patience}`);
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.baseline = options.baseline;
    this.startFromEpoch = options.startFromEpoch ?? 0;
  }

  get best(): number {
    return this.monitor.best;
  }

  get bestEpoch(): number {
    return this.monitor.bestEpoch;
  }

  onTrainBegin(ctx: TrainContext): void {
    checkMonitor('EarlyStopping', this.monitor.key, ctx);
    this.monitor.reset();
    this.wait = 0;
    this.stoppedEpoch = -1;
    this.restored = false;
    this.lastEpoch = -1;
  }

  onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): void {
    this.lastEpoch = epoch;
    const value = logs[this.monitor.key];
    if (value === undefined || epoch < this.startFromEpoch) return;
    this.wait++;
    if (this.monitor.improves(value)) {
      this.monitor.best = value;
      this.monitor.bestEpoch = epoch;
      if (this.restoreBestWeights) this.saveWeights(ctx.model);
      if (this.baseline === undefined || this.monitor.improves(value, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      const best = this.monitor.bestEpoch >= 0 ? ` (best ${this.monitor.best.toPrecision(4)} at epoch ${this.monitor.bestEpoch + 1})` : '';
      ctx.stop(`early stopping: ${this.monitor.key} did not improve for ${this.wait} epoch${this.wait === 1 ? '' : 's'}${best}`);
    }
  }

  onTrainEnd(ctx: TrainContext): void {
    if (this.restoreBestWeights && this.snapshot && this.monitor.bestEpoch !== this.lastEpoch) {
      for (const [name, p] of ctx.model.namedParameters()) copyInto(this.snapshot.get(name)!, p.value);
      this.restored = true;
    }
    this.dispose();
  }

  /** Frees the weight copies (done at the end of training). */
  dispose(): void {
    if (this.snapshot) for (const t of this.snapshot.values()) t.dispose();
    this.snapshot = null;
  }

  private saveWeights(model: BertTaskModel): void {
    const snapshot = (this.snapshot ??= new Map());
    for (const [name, p] of model.namedParameters()) {
      const kept = snapshot.get(name);
      if (kept) copyInto(p.value, kept);
      else snapshot.set(name, keep(copy(p.value)));
    }
  }
}
