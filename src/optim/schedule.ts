// Learning-rate schedules. `at(step)` is the rate for the update with 0-based index `step`
// (the number of updates already made), the convention of transformers' schedulers: with a
// warmup, the very first update has rate 0.

export interface Schedule {
  at(step: number): number;
  /** A JSON description, stored with the optimizer state so a resumed run can be checked. */
  toJSON(): Record<string, unknown>;
}

export class ConstantSchedule implements Schedule {
  constructor(readonly lr: number) {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`ConstantSchedule: lr must be a finite number >= 0, got ${lr}`);
  }

  at(_step: number): number {
    return this.lr;
  }

  toJSON() {
    return { kind: 'constant', lr: this.lr };
  }
}

export interface LinearWarmupDecayOptions {
  /** The rate at the end of the warmup. */
  peak: number;
  /** Total number of updates; the rate reaches `end` there. */
  totalSteps: number;
  /** Updates spent warming up, or... */
  warmupSteps?: number;
  /** ...that fraction of totalSteps, rounded down (BERT fine-tuning and the TF tutorial use 0.1). Default 0.1. */
  warmupFraction?: number;
  /** Rate after totalSteps. Default 0. */
  end?: number;
}

/**
 * Linear warmup from 0 to `peak` over the warmup steps, then linear decay to `end` at totalSteps
 * (transformers' get_linear_schedule_with_warmup; with end 0 the same numbers).
 */
export class LinearWarmupDecay implements Schedule {
  readonly peak: number;
  readonly totalSteps: number;
  readonly warmupSteps: number;
  readonly end: number;

  constructor(options: LinearWarmupDecayOptions) {
    const { peak, totalSteps, end = 0 } = options;
    if (!(peak >= 0) || !Number.isFinite(peak)) throw new Error(`LinearWarmupDecay: peak must be a finite number >= 0, got ${peak}`);
    if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new Error(`LinearWarmupDecay: totalSteps must be a positive integer, got ${totalSteps}`);
    const warmup = options.warmupSteps ?? Math.floor((options.warmupFraction ?? 0.1) * totalSteps);
    if (!Number.isInteger(warmup) || warmup < 0 || warmup > totalSteps) throw new Error(`LinearWarmupDecay: warmupSteps must be an integer in [0, ${totalSteps}], got ${warmup}`);
    this.peak = peak;
    this.totalSteps = totalSteps;
    this.warmupSteps = warmup;
    this.end = end;
  }

  at(step: number): number {
    if (step < this.warmupSteps) return (this.peak * step) / this.warmupSteps;
    if (step >= this.totalSteps) return this.end;
    const left = (this.totalSteps - step) / (this.totalSteps - this.warmupSteps);
    return this.end + (this.peak - this.end) * left;
  }

  toJSON() {
    return { kind: 'linear-warmup-decay', peak: this.peak, totalSteps: this.totalSteps, warmupSteps: this.warmupSteps, end: this.end };
  }
}
