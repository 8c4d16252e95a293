// What fit() returns: per-epoch logs (Keras' History), sampled step logs, throughput and the
// peak GPU memory of the run.

/** Metric values by log key: 'loss', 'accuracy', 'val_loss', 'val_accuracy', ... */
export type Logs = Record<string, number>;

export interface EpochRecord {
  /** 0-based. */
  epoch: number;
  /** Training metrics (means over the epoch) and validation metrics ('val_' keys). */
  logs: Logs;
  /** Optimizer steps in the epoch. */
  steps: number;
  examples: number;
  /** Real (non-padding) tokens trained on. */
  tokens: number;
  /** Wall-clock seconds of the training pass (validation excluded). */
  seconds: number;
  tokensPerSecond: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
}

export interface StepRecord {
  /** Global step (1-based: the number of updates made). */
  step: number;
  epoch: number;
  /** Metric values over the steps since the previous record (the loss is a mean over their targets). */
  logs: Logs;
  /** Learning rate of this step. */
  lr: number;
  /** Real tokens per second since the previous record. */
  tokensPerSecond: number;
  /** Milliseconds since fit() started. */
  elapsedMs: number;
}

export class History {
  readonly epochs: EpochRecord[] = [];
  readonly steps: StepRecord[] = [];
  /** Largest GPU memory the engine held during the run: bytes in use plus bytes pooled for reuse. */
  peakMemoryBytes = 0;
  /** Why training ended before its epochs / steps ran out (early stopping, NaN loss, abort). */
  stopReason: string | null = null;

  /** Per-epoch values of one log key (NaN where an epoch lacks it): history.series('val_loss'). */
  series(key: string): number[] {
    return this.epochs.map((e) => e.logs[key] ?? NaN);
  }

  /** Every log key seen, in first-seen order. */
  get keys(): string[] {
    const keys: string[] = [];
    for (const e of this.epochs) for (const k of Object.keys(e.logs)) if (!keys.includes(k)) keys.push(k);
    return keys;
  }

  /** Keras' history.history: { loss: [...], accuracy: [...], val_loss: [...], ... }. */
  get history(): Record<string, number[]> {
    return Object.fromEntries(this.keys.map((k) => [k, this.series(k)]));
  }

  /** The last epoch's logs. */
  get last(): Logs | undefined {
    return this.epochs[this.epochs.length - 1]?.logs;
  }

  /** Tokens per second over every epoch's training pass. */
  get tokensPerSecond(): number {
    const seconds = this.epochs.reduce((s, e) => s + e.seconds, 0);
    return seconds > 0 ? this.epochs.reduce((s, e) => s + e.tokens, 0) / seconds : 0;
  }

  /** Appends another run's epochs and steps (e.g. frozen then unfrozen fine-tuning), renumbering epochs. */
  extend(other: History): this {
    const offset = this.epochs.length;
    const stepOffset = this.steps[this.steps.length - 1]?.step ?? 0;
    for (const e of other.epochs) this.epochs.push({ ...e, epoch: e.epoch + offset });
    for (const s of other.steps) this.steps.push({ ...s, epoch: s.epoch + offset, step: s.step + stepOffset });
    this.peakMemoryBytes = Math.max(this.peakMemoryBytes, other.peakMemoryBytes);
    this.stopReason = other.stopReason;
    return this;
  }

  toJSON() {
    return { epochs: this.epochs, steps: this.steps, peakMemoryBytes: this.peakMemoryBytes, stopReason: this.stopReason, history: this.history };
  }
}
