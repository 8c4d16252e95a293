// Masked-LM pretraining from scratch, shared by the demos: a WordPiece vocabulary learnt from the
// training texts, every text cut into windows of (sequenceLength - 2) tokens (nothing past the
// first 128 tokens of a long mail is thrown away), packed as [CLS] window [SEP] batches that fit()
// masks afresh every step (dynamic masking), and a held-out measure: masked-token accuracy on
// windows of texts the model never saw, with fixed masks, beside always predicting the most
// frequent token of the training windows (the bar is 2x that).
import {
  BertForMaskedLM, FillMaskPrinter, LearningCurves, MaskedLMMaskGenerator, MultiSegmentPacker, Random, WordPieceTokenizer,
  bertConfig, evaluate, fit, maskedLM, trainWordPieceVocab, type Callback, type History, type MaskedLMHostBatch,
} from '../../src/node.ts';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** WordPiece vocabulary learnt from `texts` (lowercased, accents stripped: BERT uncased). */
export async function trainTokenizer(texts: readonly string[], vocabSize: number): Promise<WordPieceTokenizer> {
  return WordPieceTokenizer.fromVocab(await trainWordPieceVocab(texts, { vocabSize, reservedTokens: SPECIAL_TOKENS }));
}

/** Every text's ids cut into consecutive windows of `length` tokens; windows shorter than `minLength` are dropped. */
export function tokenWindows(tokenizer: WordPieceTokenizer, texts: readonly string[], length: number, minLength = 8): Int32Array[] {
  const out: Int32Array[] = [];
  for (const text of texts) {
    const ids = tokenizer.encode(text).ids;
    for (let at = 0; at < ids.length; at += length) {
      const w = ids.subarray(at, at + length);
      if (w.length >= minLength) out.push(Int32Array.from(w));
    }
  }
  return out;
}

/** [CLS] window [SEP] batches, in a seeded order; the last partial batch is dropped. */
export function packWindows(tokenizer: WordPieceTokenizer, windows: readonly Int32Array[], batchSize: number, sequenceLength: number, seed: number): MaskedLMHostBatch[] {
  const order = new Random(seed).shuffle(windows.map((_, i) => i));
  const packer = new MultiSegmentPacker({ sequenceLength, startValue: tokenizer.clsId, endValue: tokenizer.sepId, padValue: tokenizer.padId });
  const batches: MaskedLMHostBatch[] = [];
  for (let at = 0; at + batchSize <= order.length; at += batchSize) {
    batches.push(packer.packBatch(order.slice(at, at + batchSize).map((i) => [windows[i]])));
  }
  return batches;
}

/** The masking fit's maskedLM task uses (15%, at most ceil(0.15 x length) per row, 80/10/10), here with its own seed. */
export function maskGenerator(tokenizer: WordPieceTokenizer, sequenceLength: number, seed: number): MaskedLMMaskGenerator {
  return new MaskedLMMaskGenerator({
    vocabularySize: tokenizer.vocabSize,
    maskTokenId: tokenizer.maskId,
    maskSelectionRate: 0.15,
    maskSelectionLength: Math.ceil(0.15 * sequenceLength),
    unselectableTokenIds: [...new Set([...tokenizer.specialIds, tokenizer.padId])],
    randomTokenRange: [SPECIAL_TOKENS.length, tokenizer.vocabSize],
    seed,
  });
}

/** The most frequent token of the windows: the baseline predictor. */
export function mostFrequentToken(windows: readonly Int32Array[], vocabSize: number): number {
  const counts = new Float64Array(vocabSize);
  for (const w of windows) for (const id of w) counts[id]++;
  let best = 0;
  for (let id = 1; id < vocabSize; id++) if (counts[id] > counts[best]) best = id;
  return best;
}

/** Fraction of the (weighted) masked positions whose original token is `id`. */
export function baselineAccuracy(batches: readonly MaskedLMHostBatch[], id: number): number {
  let hits = 0;
  let n = 0;
  for (const b of batches) {
    const m = b.masks!;
    for (let j = 0; j < m.maskIds.length; j++) {
      n += m.maskWeights[j];
      if (m.maskIds[j] === id) hits += m.maskWeights[j];
    }
  }
  return hits / Math.max(n, 1);
}

export interface PretrainOptions {
  tokenizer: WordPieceTokenizer;
  trainTexts: readonly string[];
  /** Texts never trained on, for the held-out masked accuracy. */
  heldOutTexts: readonly string[];
  /** Model size ('bert-tiny', 'L-4_H-256_A-4') of a new model, or */
  size?: string;
  /** a pretrained model to go on training (its tokenizer is `tokenizer`). */
  model?: BertForMaskedLM;
  steps: number;
  /** fit() epochs are this many steps (a fill-mask sample and a validation pass after each). */
  stepsPerEpoch: number;
  batchSize: number;
  sequenceLength: number;
  /** Peak learning rate: warmup over 10% of the steps, then linear decay. */
  lr: number;
  seed: number;
  /** Held-out rows at most (batches of batchSize). */
  heldOutRows?: number;
  /** SVG of the curves (rewritten every epoch). */
  curves?: string;
  /** A sentence with one [MASK], printed with its top-5 after every epoch. */
  fillMask?: string;
  callbacks?: Callback[];
}

export interface PretrainResult {
  model: BertForMaskedLM;
  history: History;
  /** Held-out masked-token accuracy of the model, and of always predicting `baselineToken`. */
  maskedAccuracy: number;
  baselineAccuracy: number;
  baselineToken: string;
  trainWindows: number;
  heldOutMasks: number;
  /** The held-out batches, masks fixed (to measure another copy of the model on the same masks). */
  heldOut: MaskedLMHostBatch[];
}

export async function pretrainMaskedLM(o: PretrainOptions): Promise<PretrainResult> {
  const { tokenizer, sequenceLength: S, batchSize } = o;
  const trainWindows = tokenWindows(tokenizer, o.trainTexts, S - 2);
  let heldOut = packWindows(tokenizer, tokenWindows(tokenizer, o.heldOutTexts, S - 2), batchSize, S, o.seed + 1);
  heldOut = heldOut.slice(0, Math.max(1, Math.floor((o.heldOutRows ?? 512) / batchSize)));
  const masker = maskGenerator(tokenizer, S, o.seed + 2); // fixed masks: every epoch's validation is comparable
  for (const b of heldOut) b.masks = masker.generate(b.tokenIds, S);
  const train = packWindows(tokenizer, trainWindows, batchSize, S, o.seed);
  if (!train.length || !heldOut.length || !heldOut[0].masks) throw new Error(`pretraining: too little text for batches of ${batchSize} x ${S} tokens (${trainWindows.length} training windows)`);
  const top = mostFrequentToken(trainWindows, tokenizer.vocabSize);

  const size = o.size ?? 'bert-tiny';
  const model = o.model ?? new BertForMaskedLM(bertConfig(size, { vocab: tokenizer, max_position_embeddings: S }), { seed: o.seed });
  const config = model.config;
  console.log(`BertForMaskedLM${o.model ? ' (pretrained)' : ` ${size}`} (L-${config.num_hidden_layers}_H-${config.hidden_size}_A-${config.num_attention_heads}), ${(model.parameterCount() / 1e6).toFixed(2)}M parameters; ` +
    `${trainWindows.length} training windows of <= ${S - 2} tokens (${train.length} batches of ${batchSize}), ${heldOut.length * batchSize} held-out windows`);
  const task = maskedLM({ tokenizer, sequenceLength: S, seed: o.seed });
  const callbacks: Callback[] = [...(o.callbacks ?? [])];
  if (o.fillMask) callbacks.push(new FillMaskPrinter({ tokenizer, text: o.fillMask }));
  if (o.curves) callbacks.push(new LearningCurves(o.curves, { title: 'Masked-LM pretraining' }));
  const history = await fit(model, train, {
    task, steps: o.steps, stepsPerEpoch: Math.min(o.stepsPerEpoch, o.steps), lr: o.lr, schedule: 'linear', warmup: 0.1,
    validationData: heldOut, seed: o.seed, callbacks,
  });
  const { accuracy } = await evaluate(model, heldOut, { task });
  return {
    model, history, maskedAccuracy: accuracy, baselineAccuracy: baselineAccuracy(heldOut, top),
    baselineToken: tokenizer.idToToken(top) ?? String(top), trainWindows: trainWindows.length,
    heldOutMasks: heldOut.reduce((n, b) => n + b.masks!.maskWeights.reduce((s, w) => s + w, 0), 0), heldOut,
  };
}
