// KerasNLP's MaskedLMMaskGenerator: picks positions to predict, then replaces maskTokenRate of them
// with [MASK], randomTokenRate with a random id, and leaves the rest unchanged (BERT's 80/10/10).
// Selection 'count' (default, as tf_text's RandomItemSelector): exactly
// min(maskSelectionLength, round(maskSelectionRate * selectable)) positions per sequence, chosen
// uniformly. Selection 'bernoulli' (seed 000's numpy recipe): each selectable position independently.
import { Random } from './random.ts';

export interface MaskedLMMaskGeneratorOptions {
  vocabularySize: number;
  maskTokenId: number;
  /** Fraction of selectable tokens to predict, e.g. 0.15. */
  maskSelectionRate: number;
  /** Fixed length of maskPositions / maskIds / maskWeights, and the cap on selections. Optional for 'bernoulli'. */
  maskSelectionLength?: number;
  /** Never selected, e.g. [CLS], [SEP], [PAD]. Default [0]. */
  unselectableTokenIds?: readonly number[];
  /** Default 0.8. */
  maskTokenRate?: number;
  /** Default 0.1. */
  randomTokenRate?: number;
  /** Random replacements are drawn from [first, last) ids. Default [0, vocabularySize). */
  randomTokenRange?: readonly [number, number];
  selection?: 'count' | 'bernoulli';
  /** Label of positions not selected, in `labels`. Default -100 (the usual "ignore"). */
  ignoreLabel?: number;
  seed: number;
}

export interface MaskedLMBatch {
  /** (batch, seqLen): inputs with the chosen positions replaced. */
  tokenIds: Int32Array;
  /** (batch, maskSelectionLength): selected positions in increasing order, padded with 0. */
  maskPositions: Int32Array;
  /** (batch, maskSelectionLength): original ids at maskPositions, padded with 0. */
  maskIds: Int32Array;
  /** (batch, maskSelectionLength): 1 for real selections, 0 for padding. */
  maskWeights: Float32Array;
  /** (batch, seqLen): original id where selected, ignoreLabel elsewhere (per-token loss form). */
  labels: Int32Array;
  /** (batch, seqLen): 1 where selected, else 0 (seed 000's sample_weights). */
  sampleWeights: Float32Array;
  batchSize: number;
  sequenceLength: number;
}

export class MaskedLMMaskGenerator {
  readonly options: MaskedLMMaskGeneratorOptions;
  private readonly rng: Random;
  private readonly unselectable: Set<number>;

  constructor(options: MaskedLMMaskGeneratorOptions) {
    const { maskSelectionRate: rate, maskTokenRate = 0.8, randomTokenRate = 0.1 } = options;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`maskSelectionRate must be in [0, 1], got ${rate}`);
    if (!(maskTokenRate >= 0 && randomTokenRate >= 0 && maskTokenRate + randomTokenRate <= 1)) {
      throw new RangeError('maskTokenRate and randomTokenRate must be >= 0 and sum to at most 1');
    }
    if ((options.selection ?? 'count') === 'count' && options.maskSelectionLength === undefined) {
      throw new Error("maskSelectionLength is required with selection 'count'");
    }
    this.options = options;
    this.rng = new Random(options.seed);
    this.unselectable = new Set(options.unselectableTokenIds ?? [0]);
  }

  /** Masks a (batch, sequenceLength) array of ids. Each call continues the seeded random stream. */
  generate(tokenIds: Int32Array, sequenceLength: number): MaskedLMBatch {
    if (tokenIds.length % sequenceLength !== 0) throw new RangeError(`tokenIds length ${tokenIds.length} is not a multiple of ${sequenceLength}`);
    const o = this.options;
    const L = sequenceLength;
    const B = tokenIds.length / L;
    const maxSel = o.maskSelectionLength;
    const S = maxSel ?? 0;
    const out: MaskedLMBatch = {
      tokenIds: tokenIds.slice(),
      maskPositions: new Int32Array(B * S),
      maskIds: new Int32Array(B * S),
      maskWeights: new Float32Array(B * S),
      labels: new Int32Array(B * L).fill(o.ignoreLabel ?? -100),
      sampleWeights: new Float32Array(B * L),
      batchSize: B,
      sequenceLength: L,
    };
    const candidates: number[] = [];
    for (let b = 0; b < B; b++) {
      candidates.length = 0;
      for (let i = 0; i < L; i++) if (!this.unselectable.has(tokenIds[b * L + i]!)) candidates.push(i);
      const chosen = this.select(candidates, maxSel);
      chosen.sort((x, y) => x - y);
      chosen.forEach((pos, j) => {
        const k = b * L + pos;
        const original = tokenIds[k]!;
        if (maxSel !== undefined) {
          out.maskPositions[b * S + j] = pos;
          out.maskIds[b * S + j] = original;
          out.maskWeights[b * S + j] = 1;
        }
        out.labels[k] = original;
        out.sampleWeights[k] = 1;
        out.tokenIds[k] = this.replacement(original);
      });
    }
    return out;
  }

  private select(candidates: number[], cap: number | undefined): number[] {
    const rate = this.options.maskSelectionRate;
    if ((this.options.selection ?? 'count') === 'bernoulli') {
      const chosen = candidates.filter(() => this.rng.next() < rate);
      return cap === undefined || chosen.length <= cap ? chosen : this.rng.shuffle(chosen).slice(0, cap);
    }
    const n = Math.min(cap!, Math.round(rate * candidates.length));
    // Partial Fisher-Yates: the first n entries become a uniform sample.
    const pool = candidates.slice();
    for (let i = 0; i < n; i++) {
      const j = i + this.rng.int(pool.length - i);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, n);
  }

  private replacement(original: number): number {
    const o = this.options;
    const u = this.rng.next();
    const maskRate = o.maskTokenRate ?? 0.8;
    if (u < maskRate) return o.maskTokenId;
    if (u < maskRate + (o.randomTokenRate ?? 0.1)) {
      const [lo, hi] = o.randomTokenRange ?? [0, o.vocabularySize];
      return lo + this.rng.int(hi - lo);
    }
    return original;
  }
}
