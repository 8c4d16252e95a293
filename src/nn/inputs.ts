// Uploads of host batches (what src/data's packers and mask generator produce) as model inputs.
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { BertInputs } from './bert.ts';
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

/** inputIds, attentionMask and tokenTypeIds on the GPU. */
export function bertInputs(batch: HostBatch): BertInputs {
  const b = batch.batchSize;
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
export function maskedLMInputs(batch: HostBatch, masks: HostMasks): MaskedLMInputs {
  const b = masks.batchSize;
  const p = masks.maskPositions.length / b;
  return {
    ...bertInputs({ ...batch, tokenIds: masks.tokenIds }),
    maskPositions: ids(masks.maskPositions, b),
    labels: ids(masks.maskIds, b),
    labelWeights: engine().tensor(masks.maskWeights, [b, p], 'f32'),
  };
}
