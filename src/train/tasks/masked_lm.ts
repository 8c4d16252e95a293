// Masked-LM pretraining (BertForMaskedLM). Texts are packed as [CLS] text [SEP] and masked on the
// fly by a seeded MaskedLMMaskGenerator whose stream continues from batch to batch, so every
// epoch sees new masks (RoBERTa's dynamic masking); evaluation passes restart a generator of
// their own, so a validation set gets the same masks every epoch. Pre-packed batches are masked
// the same way; batches that carry their own masks are used as they are.
import { noGrad } from '../../autograd/tape.ts';
import { tidy, engine } from '../../gpu/runtime.ts';
import { MaskedLMMaskGenerator, type MaskedLMMaskGeneratorOptions } from '../../data/masked-lm-mask-generator.ts';
import type { WordPieceTokenizer } from '../../data/wordpiece-tokenizer.ts';
import { bertInputs, maskedLMInputs, type HostBatch, type HostMasks } from '../../nn/inputs.ts';
import { BertForMaskedLM } from '../../nn/masked_lm.ts';
import type { BertTaskModel } from '../../nn/pretrained.ts';
import { checkHostBatch, isHostBatch, type Task, type TaskOutput, type TrainBatch } from '../task.ts';
import { describe, packTexts, realTokens, type Padding } from '../text.ts';
import { topK, type TokenScore } from '../topk.ts';

/** A text to pretrain on: a string or anything with a `text` (a TextExample). */
export type MaskedLMExample = string | { text: string };

/** A packed host batch, optionally with its masks already drawn. */
export interface MaskedLMHostBatch extends HostBatch {
  masks?: HostMasks;
}

export interface MaskedLMTrainBatch extends TrainBatch {
  /** The masking (inputs with the chosen tokens replaced, positions, original ids, weights). */
  masks: HostMasks;
}

export interface MaskedLMPrediction {
  /** Token positions of the [MASK] tokens of the example's input. */
  positions: number[];
  /** Per position, the best tokens with their probabilities (softmax over the vocabulary). */
  candidates: TokenScore[][];
}

export interface MaskedLMTaskOptions {
  /** Needed for raw text, and for masking pre-packed batches (the [MASK] id, special ids). */
  tokenizer?: WordPieceTokenizer;
  /** Default: min(512, the model's max_position_embeddings). */
  sequenceLength?: number;
  /** Default 'longest'. */
  padding?: Padding;
  /** Fraction of tokens to predict. Default 0.15 (BERT). */
  maskSelectionRate?: number;
  /** Predictions per sequence at most. Default ceil(rate x sequenceLength). */
  maskSelectionLength?: number;
  /** Of the selected tokens, the share replaced by [MASK] (0.8) and by a random token (0.1); the rest stay. */
  maskTokenRate?: number;
  randomTokenRate?: number;
  /** 'count' (KerasNLP) or 'bernoulli' (seed 000). Default 'count'. */
  selection?: 'count' | 'bernoulli';
  /** Seed of the masking stream. Default 0. */
  seed?: number;
  /** Candidates per mask in predict(). Default 5. */
  topK?: number;
}

export type MaskedLMTask = Task<MaskedLMExample | MaskedLMHostBatch, MaskedLMTrainBatch, MaskedLMPrediction, BertForMaskedLM>;

const NAME = 'masked-lm';

export function maskedLM(options: MaskedLMTaskOptions = {}): MaskedLMTask {
  const rate = options.maskSelectionRate ?? 0.15;
  const seed = options.seed ?? 0;
  let sequenceLength = 0;
  let trainMasker: MaskedLMMaskGenerator | null = null;

  const tokenizer = (what: string): WordPieceTokenizer => {
    if (!options.tokenizer) throw new Error(`${NAME} task: ${what} needs a tokenizer (maskedLM({ tokenizer, ... }))`);
    return options.tokenizer;
  };

  const newMasker = (s: number): MaskedLMMaskGenerator => {
    const tok = tokenizer('masking');
    const special = tok.specialIds;
    // Random replacements skip the special tokens when they are the vocabulary's first ids (the usual layout).
    const prefix = special.length && [...special].sort((a, b) => a - b).every((id, i) => id === i) ? special.length : 0;
    const opts: MaskedLMMaskGeneratorOptions = {
      vocabularySize: tok.vocabSize,
      maskTokenId: tok.maskId,
      maskSelectionRate: rate,
      maskSelectionLength: options.maskSelectionLength ?? Math.max(1, Math.ceil(rate * sequenceLength)),
      unselectableTokenIds: [...new Set([...special, tok.padId])],
      maskTokenRate: options.maskTokenRate,
      randomTokenRate: options.randomTokenRate,
      randomTokenRange: [prefix, tok.vocabSize],
      selection: options.selection,
      seed: s,
    };
    return new MaskedLMMaskGenerator(opts);
  };

  const make = (inputs: HostBatch, masks: HostMasks): MaskedLMTrainBatch => {
    let weight = 0;
    for (let i = 0; i < masks.maskWeights.length; i++) weight += masks.maskWeights[i];
    return { inputs, masks, examples: inputs.batchSize, tokens: realTokens(inputs), lossWeight: weight };
  };

  const mask = (inputs: HostBatch, masker: MaskedLMMaskGenerator): MaskedLMTrainBatch =>
    make(inputs, masker.generate(inputs.tokenIds, inputs.sequenceLength));

  const pack = (examples: readonly MaskedLMExample[]): HostBatch => {
    const texts = examples.map((ex, i) => {
      if (typeof ex === 'string') return ex;
      if (typeof ex === 'object' && ex !== null && typeof ex.text === 'string') return ex.text;
      throw new Error(`${NAME} task: example ${i} is ${describe(ex)}; expected a string or { text }`);
    });
    return packTexts(tokenizer('raw text'), texts, { sequenceLength, padding: options.padding }).batch;
  };

  return {
    name: NAME,

    check(model: BertTaskModel): void {
      if (!(model instanceof BertForMaskedLM)) throw new Error(`${NAME} task: needs a BertForMaskedLM, got ${model.architecture}`);
      const max = model.config.max_position_embeddings;
      sequenceLength = options.sequenceLength ?? Math.min(512, max);
      if (sequenceLength > max) throw new Error(`${NAME} task: sequenceLength ${sequenceLength} exceeds the model's max_position_embeddings (${max})`);
      if (options.tokenizer && options.tokenizer.vocabSize > model.config.vocab_size) {
        throw new Error(`${NAME} task: the tokenizer has ${options.tokenizer.vocabSize} tokens but the model's vocab_size is ${model.config.vocab_size}`);
      }
    },

    collator(mode) {
      // Training continues one stream (new masks each epoch); each evaluation pass starts over.
      const masker = mode === 'train' ? (trainMasker ??= newMasker(seed)) : newMasker(seed + 0x9e3779b9);
      return (examples) => mask(pack(examples as MaskedLMExample[]), masker);
    },

    isBatch: isHostBatch,

    fromBatch(x: unknown, mode): MaskedLMTrainBatch {
      const b = x as MaskedLMHostBatch;
      checkHostBatch(NAME, b);
      if (!b.masks) {
        const masker = mode === 'train' ? (trainMasker ??= newMasker(seed)) : newMasker(seed + 0x9e3779b9);
        return mask(b, masker);
      }
      const m = b.masks;
      if (m.batchSize !== b.batchSize || m.tokenIds.length !== b.tokenIds.length || m.maskIds.length !== m.maskPositions.length || m.maskWeights.length !== m.maskPositions.length) {
        throw new Error(`${NAME} task: a host batch's masks do not match it (batchSize ${m.batchSize} vs ${b.batchSize}; ${m.maskPositions.length} positions, ${m.maskIds.length} ids, ${m.maskWeights.length} weights)`);
      }
      return make(b, m);
    },

    forward(model: BertForMaskedLM, batch: MaskedLMTrainBatch): TaskOutput {
      const inputs = maskedLMInputs(batch.inputs, batch.masks, model.config);
      const { logits, loss } = model.forward(inputs);
      const n = inputs.labels!.size;
      return {
        loss: loss!,
        targets: [{ logits: logits.reshape([n, model.config.vocab_size]), labels: inputs.labels!.reshape([n]), weights: inputs.labelWeights!.reshape([n]) }],
      };
    },

    predict(model: BertForMaskedLM, batch: MaskedLMTrainBatch): Promise<MaskedLMPrediction[]> {
      return predictMasks(model, batch.inputs, tokenizer('predict').maskId, options.topK ?? 5);
    },
  };
}

/**
 * The best k tokens at every `maskId` token of a packed batch, with probabilities: the MLM head
 * runs at those positions only ((B, P, V) logits for at most P masks per row), then a float64
 * softmax over the vocabulary on the host.
 */
export async function predictMasks(model: BertForMaskedLM, inputs: HostBatch, maskId: number, k: number): Promise<MaskedLMPrediction[]> {
  const { tokenIds, batchSize: B, sequenceLength: S } = inputs;
  const positions = Array.from({ length: B }, (_, b) => {
    const at: number[] = [];
    for (let s = 0; s < S; s++) if (tokenIds[b * S + s] === maskId) at.push(s);
    return at;
  });
  const P = Math.max(0, ...positions.map((p) => p.length));
  if (P === 0) return positions.map(() => ({ positions: [], candidates: [] }));
  const flat = new Int32Array(B * P); // rows with fewer masks repeat position 0 ([CLS]); ignored below
  positions.forEach((at, b) => at.forEach((s, j) => (flat[b * P + j] = s)));
  const logits = noGrad(() => tidy(() => model.forward({ ...bertInputs(inputs, model.config), maskPositions: engine().tensor(flat, [B, P], 'i32') }).logits));
  const values = (await logits.data()) as Float32Array;
  logits.dispose();
  const V = model.config.vocab_size;
  return positions.map((at, b) => ({
    positions: at,
    candidates: at.map((_, j) => topK(values.subarray((b * P + j) * V, (b * P + j + 1) * V), k)),
  }));
}
