// KerasNLP's StartEndPacker: [start] tokens [end], truncated and padded to sequenceLength.
// Outputs are flat (batch, sequenceLength) Int32Arrays.

export interface StartEndPackerOptions {
  sequenceLength: number;
  startValue?: number;
  endValue?: number;
  /** Default 0. */
  padValue?: number;
}

export interface PackedSequence {
  /** (batch, sequenceLength) */
  tokenIds: Int32Array;
  /** (batch, sequenceLength): 1 for real tokens (start/end included), 0 for padding. */
  paddingMask: Int32Array;
  batchSize: number;
  sequenceLength: number;
}

export class StartEndPacker {
  readonly options: StartEndPackerOptions;

  constructor(options: StartEndPackerOptions) {
    const specials = (options.startValue !== undefined ? 1 : 0) + (options.endValue !== undefined ? 1 : 0);
    if (options.sequenceLength < specials) throw new RangeError(`sequenceLength ${options.sequenceLength} cannot hold the start/end tokens`);
    this.options = options;
  }

  pack(tokens: ArrayLike<number>): PackedSequence {
    return this.packBatch([tokens]);
  }

  packBatch(sequences: ReadonlyArray<ArrayLike<number>>): PackedSequence {
    const { sequenceLength: L, startValue, endValue, padValue = 0 } = this.options;
    const B = sequences.length;
    const tokenIds = new Int32Array(B * L).fill(padValue);
    const paddingMask = new Int32Array(B * L);
    const room = L - (startValue !== undefined ? 1 : 0) - (endValue !== undefined ? 1 : 0);
    sequences.forEach((seq, b) => {
      let k = b * L;
      if (startValue !== undefined) tokenIds[k++] = startValue;
      const n = Math.min(seq.length, room);
      for (let i = 0; i < n; i++) tokenIds[k++] = seq[i]!;
      if (endValue !== undefined) tokenIds[k++] = endValue;
      paddingMask.fill(1, b * L, k);
    });
    return { tokenIds, paddingMask, batchSize: B, sequenceLength: L };
  }
}
