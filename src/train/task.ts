// A task adapts one head to the training loop: it turns host examples into a host batch
// (tokenize, pack, mask), a batch into the loss and what the metrics compare, and a batch into
// host predictions. fit / evaluate / predict are the same loop for every head.
import type { FloatDType } from '../gpu/dtype.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { HostBatch } from '../nn/inputs.ts';
import type { BertTaskModel } from '../nn/pretrained.ts';

/** A batch on the host, ready for a task's forward pass. */
export interface TrainBatch {
  /** Token ids, segment ids and padding mask, (rows, sequenceLength). */
  inputs: HostBatch;
  /** Examples the batch came from (QA windows a long context: rows may exceed examples). */
  examples: number;
  /** Real tokens (padding excluded), for tokens/s. */
  tokens: number;
  /**
   * Weight of the batch's mean loss in an epoch mean: the number (weight sum) of labelled
   * targets, so the epoch loss is the mean over targets however the batches were cut.
   */
  lossWeight: number;
}

/** What accuracy compares: predictions of `logits` against `labels`, row by row. */
export interface Target {
  /** (..., V) scores; a single-logit head when `binary`. */
  logits: Tensor;
  /** (N) i32, one per row of logits. */
  labels: Tensor;
  /** (N) f32 per-row weights (masked-LM mask weights). */
  weights?: Tensor;
  /** Rows with this label do not count. Default -100. */
  ignoreIndex?: number;
  /** A single logit per row, class 1 when it is > 0 (binary accuracy). */
  binary?: boolean;
}

export interface TaskOutput {
  /** The batch's mean loss, shape []. */
  loss: Tensor<FloatDType>;
  /** What the accuracy metrics read. */
  targets: Target[];
}

/** Builds batches for one pass over the data. */
export type Collate<E, B> = (examples: readonly E[]) => B;

export interface Task<E = unknown, B extends TrainBatch = TrainBatch, P = unknown, M extends BertTaskModel = BertTaskModel> {
  /** 'masked-lm', 'classification', 'question-answering'. */
  readonly name: string;
  /** Throws a clear error when the model does not fit the task (architecture, labels, vocabulary, length). */
  check(model: BertTaskModel): void;
  /**
   * A collate function for one pass. 'train' passes may differ every epoch (masked LM draws new
   * masks: dynamic masking); 'eval' passes are the same every time (fixed masks), so validation
   * losses compare across epochs.
   */
  collator(mode: 'train' | 'eval'): Collate<E, B>;
  /** Whether a data element is already a host batch (used as it is, not grouped). */
  isBatch(x: unknown): boolean;
  /** Validates a pre-built host batch (and masks it, for a masked-LM batch without masks). */
  fromBatch(x: unknown, mode: 'train' | 'eval'): B;
  /** Uploads the batch and runs the model: the loss and the metric targets (inside the caller's tidy and grad mode). */
  forward(model: M, batch: B): TaskOutput;
  /** Runs the model without recording and downloads per-example predictions. */
  predict(model: M, batch: B): Promise<P[]>;
}

/** Whether x looks like a packed host batch (src/data packers' output). */
export function isHostBatch(x: unknown): x is HostBatch {
  return typeof x === 'object' && x !== null && (x as HostBatch).tokenIds instanceof Int32Array && typeof (x as HostBatch).batchSize === 'number';
}

/** Checks a host batch's arrays against its batchSize x sequenceLength. */
export function checkHostBatch(task: string, b: HostBatch): void {
  const n = b.batchSize * b.sequenceLength;
  if (!Number.isInteger(b.batchSize) || b.batchSize < 1 || !Number.isInteger(b.sequenceLength) || b.sequenceLength < 1) {
    throw new Error(`${task}: a host batch needs a positive batchSize and sequenceLength, got ${b.batchSize} x ${b.sequenceLength}`);
  }
  for (const [name, a] of [['tokenIds', b.tokenIds], ['segmentIds', b.segmentIds], ['paddingMask', b.paddingMask]] as const) {
    if (a && a.length !== n) throw new Error(`${task}: ${name} has ${a.length} entries, expected batchSize x sequenceLength = ${b.batchSize} x ${b.sequenceLength} = ${n}`);
  }
}
