// Metric kernels (shaders/metrics.wgsl): argmax over the last axis, and running sums for
// accuracies and weighted means that stay on the GPU until a training loop reads them.
import type { FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { rowGroups, rowLayout, type RowLayout } from './launch.ts';
import { expectDType } from './shape.ts';

const argmaxKernel = new Kernel({ shader: 'metrics', entry: 'argmax' });
const countKernel = new Kernel({ shader: 'metrics', entry: 'count' });
const accumulateKernel = new Kernel({ shader: 'metrics', entry: 'accumulate' });

/**
 * Index of the maximum along the last axis: x (..., V) f32 or f16 -> (...) i32. Ties go to the first
 * index; a NaN counts as the maximum (the first NaN wins), as torch.argmax and numpy.argmax.
 */
export function argmax(x: Tensor, options: { layout?: Partial<RowLayout> } = {}): Tensor<'i32'> {
  expectDType('argmax', x, 'f32', 'f16');
  if (x.rank < 1) throw new OpError('argmax', `needs at least one axis, got shape ${shapeStr(x.shape)}`);
  const V = x.shape[x.rank - 1];
  if (V === 0) throw new OpError('argmax', `the last axis of ${shapeStr(x.shape)} is empty`);
  const rows = x.size / V;
  const e = engine();
  const index = e.empty(x.shape.slice(0, -1), 'i32');
  if (rows === 0) return index;
  const l = rowLayout(V, options.layout);
  e.run(argmaxKernel.as(x.dtype), {
    bindings: { x, index },
    uniforms: { rows, V, ignore_index: 0, weight: 0 },
    overrides: { WG: l.wg, TPR: l.tpr },
    workgroups: rowGroups(rows, l),
  });
  return index;
}

export interface AccuracyOptions {
  /** (N) f32 per-row weights (MLM mask weights); default 1. */
  weights?: Tensor;
  /** Rows with this label are not counted. Default -100. */
  ignoreIndex?: number;
}

/** A (2) f32 accumulator of zeros: [sum of w * correct, sum of w] (or [sum of w * x, sum of w]). */
export function metricSums(): Tensor<FloatDType> {
  const e = engine();
  return e.tensor(new Float32Array(2), [2], 'f32');
}

function checkSums(op: string, into: Tensor): void {
  expectDType(op, into, 'f32');
  if (into.size !== 2) throw new OpError(op, `the accumulator must hold 2 values, got shape ${shapeStr(into.shape)}`);
}

function checkLabels(op: string, labels: Tensor, n: number, what: string, weights?: Tensor): void {
  expectDType(op, labels, 'i32');
  if (labels.size !== n) throw new OpError(op, `labels ${shapeStr(labels.shape)} must have ${n} entries (one per ${what})`);
  if (weights) {
    expectDType(op, weights, 'f32');
    if (weights.size !== n) throw new OpError(op, `weights ${shapeStr(weights.shape)} must have ${n} entries (one per ${what})`);
  }
}

function launchCount(into: Tensor, rows: number, bindings: { pred: Tensor; logits: Tensor; labels: Tensor }, opts: AccuracyOptions, binary: boolean): void {
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) throw new OpError('accuracy', `ignoreIndex must be an integer, got ${ignoreIndex}`);
  engine().run(countKernel.as(bindings.logits.dtype), {
    // Unused bindings (weights without HAS_WEIGHTS, pred or logits by mode) get a read-only stand-in.
    bindings: { ...bindings, weights: opts.weights ?? bindings.labels, acc: into },
    uniforms: { rows, V: 0, ignore_index: ignoreIndex, weight: 0 },
    overrides: { BINARY: binary, HAS_WEIGHTS: Boolean(opts.weights), WG: 64 },
    workgroups: [1],
  });
}

/**
 * Sparse categorical accuracy, accumulated in place: into += [sum w_i [argmax(logits_i) ==
 * label_i], sum w_i] over rows whose label is not ignoreIndex. logits (N, V), labels (N) i32.
 */
export function accumulateAccuracy(into: Tensor, logits: Tensor, labels: Tensor, opts: AccuracyOptions = {}): void {
  const op = 'accumulateAccuracy';
  checkSums(op, into);
  expectDType(op, logits, 'f32', 'f16');
  if (logits.rank < 2) throw new OpError(op, `logits must be (..., V), got shape ${shapeStr(logits.shape)}`);
  const rows = logits.size / logits.shape[logits.rank - 1];
  checkLabels(op, labels, rows, `row of logits ${shapeStr(logits.shape)}`, opts.weights);
  if (rows === 0) return;
  const pred = argmax(logits);
  launchCount(into, rows, { pred, logits, labels }, opts, false);
  pred.dispose();
}

/**
 * Binary accuracy of a single-logit head, accumulated in place: a row predicts 1 when its logit
 * is > 0 (probability > 0.5). logits (N) or (N, 1), labels (N) i32 of 0 / 1.
 */
export function accumulateBinaryAccuracy(into: Tensor, logits: Tensor, labels: Tensor, opts: AccuracyOptions = {}): void {
  const op = 'accumulateBinaryAccuracy';
  checkSums(op, into);
  expectDType(op, logits, 'f32', 'f16');
  if (logits.rank > 2 || (logits.rank === 2 && logits.shape[1] !== 1)) {
    throw new OpError(op, `logits must be (N) or (N, 1), got shape ${shapeStr(logits.shape)}`);
  }
  const rows = logits.size;
  checkLabels(op, labels, rows, 'logit', opts.weights);
  if (rows === 0) return;
  launchCount(into, rows, { pred: labels, logits, labels }, opts, true);
}

/** into += [value * weight, weight] for a scalar tensor `value` (a batch's mean loss and its weight). */
export function accumulateMean(into: Tensor, value: Tensor, weight: number): void {
  const op = 'accumulateMean';
  checkSums(op, into);
  expectDType(op, value, 'f32');
  if (value.size !== 1) throw new OpError(op, `value must be a scalar, got shape ${shapeStr(value.shape)}`);
  if (!Number.isFinite(weight) || weight < 0) throw new OpError(op, `weight must be a finite number >= 0, got ${weight}`);
  engine().run(accumulateKernel, {
    bindings: { value, acc: into },
    uniforms: { rows: 1, V: 0, ignore_index: 0, weight },
    workgroups: [1],
  });
}
