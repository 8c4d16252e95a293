// Fill-mask: "I have watched this [MASK] and it was awesome." -> the k most probable tokens for
// the mask with their probabilities. The MLM head runs only at the mask positions (logits at the
// masks, not over the whole sequence); the softmax over the vocabulary is taken in float64.
import type { ComputeDType } from '../nn/compute-dtype.ts';
import type { BertForMaskedLM } from '../nn/masked_lm.ts';
import { BertForMaskedLM as MaskedLM } from '../nn/masked_lm.ts';
import { noGradAsync } from '../autograd/tape.ts';
import { predictMasks } from '../train/tasks/masked_lm.ts';
import { packTexts } from '../train/text.ts';
import { modelFromFiles, pipelineStorage, settingsFromFiles, tokenizerFromFiles, type PipelineFiles } from './files.ts';
import { Pipeline, type PipelineOptions } from './pipeline.ts';
import { pipelineFromPretrained, type HubOptions } from '../hub/pretrained.ts';

export interface FillMaskCandidate {
  /** The vocabulary token ('movie', '##s'). */
  token: string;
  id: number;
  /** Its probability at the mask. */
  score: number;
  /** The input with this mask replaced by the token (a '##' piece joins the word before it); other masks stay. */
  sequence: string;
}

export interface MaskPrediction {
  /** [start, end) of the [MASK] in the input string. */
  offset: [number, number];
  candidates: FillMaskCandidate[];
}

export interface FillMaskOptions {
  /** Candidates per mask. Default 5. */
  topK?: number;
  /** Texts per forward pass. Default 32. */
  batchSize?: number;
}

export class FillMask extends Pipeline<BertForMaskedLM> {
  readonly task = 'fill-mask' as const;

  constructor(options: PipelineOptions<BertForMaskedLM>) {
    super(options, 512, 'FillMask');
    if (!(options.model instanceof MaskedLM)) throw new Error(`FillMask: needs a BertForMaskedLM, got ${(options.model as { architecture?: string }).architecture}`);
    this.tokenizer.maskId; // throws clearly when the vocabulary has no [MASK]
  }

  /** The best tokens for the one [MASK] in `text`. */
  predict(text: string, options?: FillMaskOptions): Promise<FillMaskCandidate[]>;
  /** For texts with one [MASK] each, batched: one candidate list per text. */
  predict(texts: readonly string[], options?: FillMaskOptions): Promise<FillMaskCandidate[][]>;
  async predict(input: string | readonly string[], options: FillMaskOptions = {}): Promise<FillMaskCandidate[] | FillMaskCandidate[][]> {
    const texts = typeof input === 'string' ? [input] : input;
    const all = await this.predictMasks(texts, options);
    const out = all.map((masks, i) => {
      if (masks.length !== 1) {
        throw new Error(`FillMask.predict: text ${i} has ${masks.length} ${this.tokenizer.names.maskToken} tokens within the first ${this.sequenceLength} tokens; predict() takes exactly one (predictMasks() takes any number)`);
      }
      return masks[0].candidates;
    });
    return typeof input === 'string' ? out[0] : out;
  }

  /** Every [MASK] of every text: per text, one prediction per mask, in order. */
  async predictMasks(texts: readonly string[], options: FillMaskOptions = {}): Promise<MaskPrediction[][]> {
    if (!Array.isArray(texts)) throw new Error('FillMask.predictMasks: expected an array of strings');
    const topK = options.topK ?? 5;
    const batchSize = options.batchSize ?? 32;
    const results: MaskPrediction[][] = [];
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      await noGradAsync(async () => {
        for (let at = 0; at < texts.length; at += batchSize) {
          const chunk = texts.slice(at, at + batchSize);
          chunk.forEach((t, i) => {
            if (typeof t !== 'string') throw new Error(`FillMask: text ${at + i} is not a string`);
          });
          const { batch, encodings } = packTexts(this.tokenizer, chunk, { sequenceLength: this.sequenceLength });
          const predictions = await predictMasks(this.model, batch, this.tokenizer.maskId, topK);
          predictions.forEach((p, i) => {
            const text = chunk[i];
            const enc = encodings[i][0];
            results.push(p.positions.map((pos, j) => {
              // Row position pos holds token pos - 1 of the text ([CLS] comes first).
              const offset: [number, number] = [enc.starts[pos - 1], enc.ends[pos - 1]];
              return {
                offset,
                candidates: p.candidates[j].map(({ id, score }) => {
                  const token = this.tokenizer.idToToken(id) ?? '';
                  return { token, id, score, sequence: fill(text, offset, token) };
                }),
              };
            }));
          });
        }
      });
    } finally {
      this.model.train(wasTraining);
    }
    return results;
  }

  /** By Hub repo id (`google-bert/bert-base-uncased`, `user/repo@revision`), directory or URL; cached (see HubOptions). */
  static fromPretrained(nameOrPathOrUrl: string, options: HubOptions & { dtype?: ComputeDType } = {}): Promise<FillMask> {
    return pipelineFromPretrained(nameOrPathOrUrl, options, (files) => FillMask.fromFiles(files));
  }

  static async load(dir: string): Promise<FillMask> {
    return FillMask.fromFiles(await pipelineStorage().load(dir));
  }

  static fromFiles(files: PipelineFiles): FillMask {
    const settings = settingsFromFiles(files, 'fill-mask');
    const tokenizer = tokenizerFromFiles(files);
    const model = modelFromFiles(files, { architecture: 'BertForMaskedLM' }) as BertForMaskedLM;
    try {
      return new FillMask({ model, tokenizer, sequenceLength: settings.sequenceLength });
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
}

/** `text` with [start, end) replaced by a token's text; a '##' continuation joins the word before. */
function fill(text: string, [start, end]: [number, number], token: string): string {
  if (token.startsWith('##')) {
    let s = start;
    while (s > 0 && /\s/.test(text[s - 1])) s--;
    return text.slice(0, s) + token.slice(2) + text.slice(end);
  }
  return text.slice(0, start) + token + text.slice(end);
}
