// Raw strings to packed host batches: tokenize, then [CLS] a [SEP] (b [SEP]), truncated to the
// sequence length and padded either to it or to the batch's longest row. Every task and pipeline
// goes through here, so training and inference see the same ids for the same text.
import type { Encoding } from '../data/encoding.ts';
import { MultiSegmentPacker, type PackedSegments } from '../data/multi-segment-packer.ts';
import type { TruncationStrategy } from '../data/truncation.ts';
import type { WordPieceTokenizer } from '../data/wordpiece-tokenizer.ts';
import type { HostBatch } from '../nn/inputs.ts';

/**
 * 'longest': pad to the longest row of the batch, rounded up to a multiple of 8 (fewer distinct
 * shapes) and capped at the sequence length: short texts cost short sequences. 'max': always the
 * sequence length (fixed shapes, as KerasNLP's packers).
 */
export type Padding = 'longest' | 'max';

export interface PackOptions {
  sequenceLength: number;
  padding?: Padding;
  /** How two segments share the budget. Default 'longest_first' (Hugging Face). */
  truncate?: TruncationStrategy;
}

/** A text, or a pair of texts (sentence A, sentence B). */
export type TextInput = string | readonly [string, string];

export interface PackedTexts {
  batch: PackedSegments;
  /** Per example, the tokenizer's encoding of each segment (offsets into the original strings). */
  encodings: Encoding[][];
}

/** Length a packed row needs: [CLS], the segments, one separator after each. */
export function packedLength(segmentLengths: readonly number[]): number {
  return 1 + segmentLengths.reduce((n, l) => n + l + 1, 0);
}

/** The padded length of a batch whose rows need `lengths` tokens. */
export function paddedLength(lengths: readonly number[], options: PackOptions): number {
  const { sequenceLength, padding = 'longest' } = options;
  if (padding === 'max') return sequenceLength;
  const longest = Math.max(0, ...lengths);
  return Math.min(sequenceLength, Math.ceil(longest / 8) * 8);
}

/** Packs token id segments of many examples (each with the same number of segments). */
export function packSegments(tokenizer: WordPieceTokenizer, segments: readonly (readonly ArrayLike<number>[])[], options: PackOptions): PackedSegments {
  const { sequenceLength } = options;
  if (!Number.isInteger(sequenceLength) || sequenceLength < 3) throw new Error(`sequenceLength must be an integer >= 3, got ${sequenceLength}`);
  const L = paddedLength(segments.map((s) => packedLength(s.map((x) => x.length))), options);
  const packer = new MultiSegmentPacker({
    sequenceLength: Math.max(L, 3),
    startValue: tokenizer.clsId,
    endValue: tokenizer.sepId,
    padValue: tokenizer.padId,
    truncate: options.truncate ?? 'longest_first',
  });
  return packer.packBatch(segments);
}

/** Tokenizes and packs texts (or text pairs). */
export function packTexts(tokenizer: WordPieceTokenizer, texts: readonly TextInput[], options: PackOptions): PackedTexts {
  const encodings = texts.map((t) => {
    if (typeof t === 'string') return [tokenizer.encode(t)];
    if (!Array.isArray(t) || t.length !== 2 || typeof t[0] !== 'string' || typeof t[1] !== 'string') {
      throw new Error(`expected a string or a pair [string, string], got ${describe(t)}`);
    }
    return [tokenizer.encode(t[0]), tokenizer.encode(t[1])];
  });
  const pairs = new Set(encodings.map((e) => e.length));
  if (pairs.size > 1) throw new Error('a batch mixes single texts and text pairs: give every example the same number of segments');
  return { batch: packSegments(tokenizer, encodings.map((e) => e.map((x) => x.ids)), options), encodings };
}

/** Real (non-padding) tokens of a host batch. */
export function realTokens(batch: HostBatch): number {
  if (!batch.paddingMask) return batch.batchSize * batch.sequenceLength;
  let n = 0;
  for (let i = 0; i < batch.paddingMask.length; i++) n += batch.paddingMask[i] ? 1 : 0;
  return n;
}

export function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x);
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (typeof x === 'object') return `an object with keys ${Object.keys(x).slice(0, 6).join(', ') || '(none)'}`;
  return `${typeof x} ${String(x)}`;
}
