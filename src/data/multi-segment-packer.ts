// KerasNLP's MultiSegmentPacker: [CLS] A [SEP] or [CLS] A [SEP] B [SEP], truncated to fit and
// padded to a fixed length. Outputs are flat (batch, sequenceLength) Int32Arrays, ready for the GPU.
import { truncatedLengths, type TruncationStrategy } from './truncation.ts';

export interface MultiSegmentPackerOptions {
  sequenceLength: number;
  /** Put first ([CLS]). */
  startValue: number;
  /** Put after the last segment ([SEP]). */
  endValue: number;
  /** Put after every other segment. Default endValue. */
  sepValue?: number;
  /** Default 0. */
  padValue?: number;
  /** Default 'round_robin', as KerasNLP. */
  truncate?: TruncationStrategy;
}

export interface PackedSegments {
  /** (batch, sequenceLength) */
  tokenIds: Int32Array;
  /** (batch, sequenceLength): 0 for [CLS] and segment A with its [SEP], 1 for B and its [SEP], ... */
  segmentIds: Int32Array;
  /** (batch, sequenceLength): 1 for real tokens, 0 for padding. */
  paddingMask: Int32Array;
  batchSize: number;
  sequenceLength: number;
}

export class MultiSegmentPacker {
  readonly options: Required<MultiSegmentPackerOptions>;

  constructor(options: MultiSegmentPackerOptions) {
    this.options = { sepValue: options.endValue, padValue: 0, truncate: 'round_robin', ...options };
  }

  /** One example: its segments (each a list of token ids). */
  pack(segments: ReadonlyArray<ArrayLike<number>>): PackedSegments {
    return this.packBatch([segments]);
  }

  /** Many examples, each with the same number of segments. */
  packBatch(examples: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>): PackedSegments {
    const { sequenceLength: L, startValue, endValue, sepValue, padValue, truncate } = this.options;
    const B = examples.length;
    const tokenIds = new Int32Array(B * L).fill(padValue);
    const segmentIds = new Int32Array(B * L);
    const paddingMask = new Int32Array(B * L);
    examples.forEach((segments, b) => {
      if (segments.length === 0) throw new Error('MultiSegmentPacker: an example needs at least one segment');
      const budget = L - 1 - segments.length;
      if (budget < 0) throw new RangeError(`sequenceLength ${L} cannot hold [CLS] and ${segments.length} separators`);
      const keep = truncatedLengths(segments.map((s) => s.length), budget, truncate);
      let k = b * L;
      tokenIds[k++] = startValue;
      segments.forEach((seg, s) => {
        for (let i = 0; i < keep[s]!; i++) {
          segmentIds[k] = s;
          tokenIds[k++] = seg[i]!;
        }
        segmentIds[k] = s;
        tokenIds[k++] = s === segments.length - 1 ? endValue : sepValue;
      });
      paddingMask.fill(1, b * L, k);
    });
    return { tokenIds, segmentIds, paddingMask, batchSize: B, sequenceLength: L };
  }
}
