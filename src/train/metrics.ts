// Stateful metrics with GPU accumulators (Keras' Metric: update_state / result / reset_state).
// Each step adds into a (2) f32 tensor in place ([sum of w * value, sum of w]); nothing is read
// until a training loop asks, every few steps and at the end of an epoch, all metrics at once.
import type { FloatDType } from '../gpu/dtype.ts';
import { engine, keep } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { fill } from '../kernels/fill.ts';
import { accumulateAccuracy, accumulateBinaryAccuracy, accumulateMean, metricSums } from '../kernels/metrics.ts';
import type { TaskOutput, TrainBatch } from './task.ts';

export abstract class Metric {
  /** The log key ('loss', 'accuracy'); validation logs prefix it with 'val_'. */
  abstract readonly name: string;
  private acc: Tensor<FloatDType> | null = null;

  /** The running sums [numerator, denominator], made on first use and kept until dispose(). */
  protected get sums(): Tensor<FloatDType> {
    return (this.acc ??= keep(metricSums()));
  }

  /** Adds one batch (launches only; waits for nothing). */
  abstract update(output: TaskOutput, batch: TrainBatch): void;

  /** Zeroes the sums. */
  reset(): void {
    if (this.acc) fill(this.acc, 0);
  }

  /** The metric from downloaded sums: numerator / denominator (NaN when nothing was counted). */
  value(sums: ArrayLike<number>): number {
    return sums[1] > 0 ? sums[0] / sums[1] : NaN;
  }

  /** Downloads the sums (waits for the GPU). */
  async sumsNow(): Promise<Float32Array> {
    return (await this.sums.data()) as Float32Array;
  }

  async result(): Promise<number> {
    return this.value(await this.sumsNow());
  }

  dispose(): void {
    this.acc?.dispose();
    this.acc = null;
  }
}

/** The mean loss over labelled targets: each batch's mean weighted by its number of targets. */
export class MeanLoss extends Metric {
  readonly name = 'loss';
  update(output: TaskOutput, batch: TrainBatch): void {
    accumulateMean(this.sums, output.loss, batch.lossWeight);
  }
}

/**
 * Sparse categorical accuracy: argmax of the logits against the labels, weighted by each
 * target's weights (masked-LM mask weights), rows labelled ignoreIndex left out. Over every
 * target of the task (a QA model's start and end positions count as two predictions per row).
 */
export class SparseCategoricalAccuracy extends Metric {
  constructor(readonly name = 'accuracy') {
    super();
  }

  update(output: TaskOutput): void {
    for (const t of output.targets) {
      if (t.binary) throw new Error(`${this.name}: a single-logit head needs BinaryAccuracy (or the metric name 'accuracy')`);
      accumulateAccuracy(this.sums, t.logits, t.labels, { weights: t.weights, ignoreIndex: t.ignoreIndex });
    }
  }
}

/** Binary accuracy of a single-logit head: logit > 0 predicts class 1 (probability > 0.5). */
export class BinaryAccuracy extends Metric {
  constructor(readonly name = 'accuracy') {
    super();
  }

  update(output: TaskOutput): void {
    for (const t of output.targets) {
      accumulateBinaryAccuracy(this.sums, t.logits, t.labels, { weights: t.weights, ignoreIndex: t.ignoreIndex });
    }
  }
}

/** 'accuracy' as Keras resolves it: binary for a single-logit head, sparse categorical otherwise. */
export class Accuracy extends Metric {
  readonly name: string;
  constructor(name = 'accuracy') {
    super();
    this.name = name;
  }

  update(output: TaskOutput): void {
    for (const t of output.targets) {
      const o = { weights: t.weights, ignoreIndex: t.ignoreIndex };
      if (t.binary) accumulateBinaryAccuracy(this.sums, t.logits, t.labels, o);
      else accumulateAccuracy(this.sums, t.logits, t.labels, o);
    }
  }
}

export type MetricSpec = 'accuracy' | Metric;

export function resolveMetric(spec: MetricSpec): Metric {
  if (spec instanceof Metric) return spec;
  if (spec === 'accuracy') return new Accuracy();
  throw new Error(`unknown metric ${JSON.stringify(spec)} (use 'accuracy' or a Metric instance)`);
}

/** The loss and the metrics of one loop, read together. */
export class MetricSet {
  readonly metrics: Metric[];
  private last: Float32Array[] | null = null;

  constructor(specs: readonly MetricSpec[]) {
    this.metrics = [new MeanLoss(), ...specs.map(resolveMetric)];
    const names = this.metrics.map((m) => m.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new Error(`two metrics are named '${dup}'`);
  }

  get names(): string[] {
    return this.metrics.map((m) => m.name);
  }

  update(output: TaskOutput, batch: TrainBatch): void {
    for (const m of this.metrics) m.update(output, batch);
  }

  reset(): void {
    for (const m of this.metrics) m.reset();
    this.last = null;
  }

  /**
   * Downloads every metric's sums at once (one wait for the GPU). Returns the values since the
   * last reset and, for step logs, the values over the batches since the previous read.
   */
  async read(): Promise<{ total: Record<string, number>; interval: Record<string, number> }> {
    engine().flush();
    const sums = await Promise.all(this.metrics.map((m) => m.sumsNow()));
    const total: Record<string, number> = {};
    const interval: Record<string, number> = {};
    this.metrics.forEach((m, i) => {
      total[m.name] = m.value(sums[i]);
      const prev = this.last?.[i] ?? [0, 0];
      interval[m.name] = m.value([sums[i][0] - prev[0], sums[i][1] - prev[1]]);
    });
    this.last = sums;
    return { total, interval };
  }

  dispose(): void {
    for (const m of this.metrics) m.dispose();
  }
}
