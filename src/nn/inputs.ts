// Uploads of host batches (what src/data's packers and mask generator produce) as model inputs.
// Given the model's config, the arrays are checked where they are uploaded: a bad id names the
// input, its [row, column] and the allowed range before anything runs.
import { checkHost } from '../gpu/guard.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { BertInputs } from './bert.ts';
import type { BertConfig } from './config.ts';
import type { MaskedLMInputs } from './masked_lm.ts';

/** A packed batch: flat (batch, sequenceLength) arrays (MultiSegmentPacker's PackedSegments). */
export interface HostBatch {
  tokenIds: Int32Array;
  segmentIds?: Int32Array;
  paddingMask?: Int32Array;
  batchSize: number;
  sequenceLength: number;
}

/** Masked-LM targets (MaskedLMMaskGenerator's output): (batch, P) arrays. */
export interface HostMasks {
  tokenIds: Int32Array;
  maskPositions: Int32Array;
  maskIds: Int32Array;
  maskWeights: Float32Array;
  batchSize: number;
  sequenceLength: number;
}

function ids(a: Int32Array, rows: number): Tensor<'i32'> {
  return engine().tensor(a, [rows, a.length / rows], 'i32');
}

type Limits = Pick<BertConfig, 'vocab_size' | 'type_vocab_size'>;

const shapeOf = (a: ArrayLike<number>, rows: number) => [rows, a.length / rows];

/** Checks a host batch against a model's vocabulary and segment count (OpError naming the element). */
export function checkBatch(batch: HostBatch, limits: Limits, op = 'bert'): void {
  const b = batch.batchSize;
  const { vocab_size: V, type_vocab_size: T } = limits;
  const hint = (v: number) => (v >= V ? "The tokenizer's vocabulary is larger than the model's: do they belong together?" : undefined);
  checkHost({ op, input: 'inputIds', shape: shapeOf(batch.tokenIds, b), expected: `ids in [0, ${V}) (the config's vocab_size)`, hint }, batch.tokenIds, (v) => v >= 0 && v < V);
  if (batch.segmentIds) {
    checkHost({ op, input: 'tokenTypeIds', shape: shapeOf(batch.segmentIds, b), expected: `ids in [0, ${T}) (the config's type_vocab_size)` }, batch.segmentIds, (v) => v >= 0 && v < T);
  }
  if (batch.paddingMask) {
    checkHost({ op, input: 'attentionMask', shape: shapeOf(batch.paddingMask, b), expected: "1 for a real token and 0 for padding (transformers' attention_mask)" }, batch.paddingMask, (v) => v === 0 || v === 1);
  }
}

/** inputIds, attentionMask and tokenTypeIds on the GPU; checked first when the model's config is given. */
export function bertInputs(batch: HostBatch, limits?: Limits): BertInputs {
  const b = batch.batchSize;
  if (limits) checkBatch(batch, limits);
  return {
    inputIds: ids(batch.tokenIds, b),
    ...(batch.paddingMask ? { attentionMask: ids(batch.paddingMask, b) } : {}),
    ...(batch.segmentIds ? { tokenTypeIds: ids(batch.segmentIds, b) } : {}),
  };
}

/**
 * Inputs for BertForMaskedLM from a packed batch and its masking: the masked token ids replace the
 * packed ones, predictions are taken at maskPositions, padding slots weigh 0 (KerasNLP's layout).
 */
export function maskedLMInputs(batch: HostBatch, masks: HostMasks, limits?: Limits): MaskedLMInputs {
  const b = masks.batchSize;
  const p = masks.maskPositions.length / b;
  if (limits) {
    const S = batch.sequenceLength;
    const shape = shapeOf(masks.maskPositions, b);
    checkHost({ op: 'BertForMaskedLM', input: 'maskPositions', shape, expected: `positions in [0, ${S}) (the sequence length)` }, masks.maskPositions, (v) => v >= 0 && v < S);
    checkHost({ op: 'BertForMaskedLM', input: 'labels', shape, expected: `ids in [0, ${limits.vocab_size}) (the config's vocab_size), or -100 for an unused slot` },
      masks.maskIds, (v) => v === -100 || (v >= 0 && v < limits.vocab_size));
  }
  return {
    ...bertInputs({ ...batch, tokenIds: masks.tokenIds }, limits),
    maskPositions: ids(masks.maskPositions, b),
    labels: ids(masks.maskIds, b),
    labelWeights: engine().tensor(masks.maskWeights, [b, p], 'f32'),
  };
}
