// Embeddings (seed 004): per-token vectors of the last layer, the [CLS] vector, the pooled
// vector, a mean over the tokens, and every layer's hidden states, with each row aligned to its
// word piece and that piece's characters in the input.
import type { ComputeDType } from '../nn/compute-dtype.ts';
import { noGrad, noGradAsync } from '../autograd/tape.ts';
import { tidy } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { bertInputs } from '../nn/inputs.ts';
import type { BertPretrained } from '../nn/pretrained.ts';
import { packTexts } from '../train/text.ts';
import { backboneOf } from './backbone.ts';
import { modelFromFiles, pipelineStorage, settingsFromFiles, tokenizerFromFiles, type PipelineFiles } from './files.ts';
import { Pipeline, type PipelineOptions } from './pipeline.ts';
import { pipelineFromPretrained, type HubOptions } from '../hub/pretrained.ts';

/** A row-major (rows, cols) matrix on the host. */
export class Matrix {
  constructor(readonly rows: number, readonly cols: number, readonly data: Float32Array) {
    if (data.length !== rows * cols) throw new Error(`Matrix: ${data.length} values for ${rows} x ${cols}`);
  }

  /** Row i (a view, no copy). */
  row(i: number): Float32Array {
    if (!(i >= 0 && i < this.rows)) throw new RangeError(`Matrix: row ${i} of ${this.rows}`);
    return this.data.subarray(i * this.cols, (i + 1) * this.cols);
  }

  toArray(): number[][] {
    return Array.from({ length: this.rows }, (_, i) => Array.from(this.row(i)));
  }
}

export interface TextFeatures {
  text: string;
  /** The word pieces of the packed input, [CLS] and [SEP] included (truncated to the sequence length). */
  tokens: string[];
  ids: number[];
  /** [start, end) of each token in `text` (UTF-16); [0, 0] for [CLS] and [SEP]. `text.slice(...offsets[i])` is token i's source. */
  offsets: [number, number][];
  /** (tokens, hidden): the last layer's output, row i for token i. */
  sequence: Matrix;
  /** The last layer's [CLS] vector (row 0 of `sequence`). */
  cls: Float32Array;
  /** tanh(dense([CLS])), BERT's pooled output; null for a model without a pooler (an MLM or QA model). */
  pooled: Float32Array | null;
  /** The mean of `sequence` over every token (a common sentence embedding). */
  mean: Float32Array;
  /** With `hiddenStates: true`: the embeddings' output then every layer's, num_hidden_layers + 1 of (tokens, hidden). */
  hiddenStates?: Matrix[];
}

export interface FeatureOptions {
  /** Also return every layer's hidden states. Default false. */
  hiddenStates?: boolean;
  /** Texts per forward pass. Default 32. */
  batchSize?: number;
}

export class FeatureExtraction extends Pipeline<BertPretrained> {
  readonly task = 'feature-extraction' as const;

  constructor(options: PipelineOptions<BertPretrained>) {
    super(options, 512, 'FeatureExtraction');
  }

  predict(text: string, options?: FeatureOptions): Promise<TextFeatures>;
  predict(texts: readonly string[], options?: FeatureOptions): Promise<TextFeatures[]>;
  async predict(input: string | readonly string[], options: FeatureOptions = {}): Promise<TextFeatures | TextFeatures[]> {
    const texts = typeof input === 'string' ? [input] : input;
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) throw new Error('FeatureExtraction.predict: expected a string or an array of strings');
    const batchSize = options.batchSize ?? 32;
    const out: TextFeatures[] = [];
    const backbone = backboneOf(this.model);
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      await noGradAsync(async () => {
        for (let at = 0; at < texts.length; at += batchSize) {
          out.push(...(await this.batch(backbone, texts.slice(at, at + batchSize), options.hiddenStates ?? false)));
        }
      });
    } finally {
      this.model.train(wasTraining);
    }
    return typeof input === 'string' ? out[0] : out;
  }

  private async batch(backbone: ReturnType<typeof backboneOf>, texts: readonly string[], withHidden: boolean): Promise<TextFeatures[]> {
    const { batch, encodings } = packTexts(this.tokenizer, texts, { sequenceLength: this.sequenceLength });
    const { sequenceLength: S } = batch;
    const H = this.model.config.hidden_size;
    const { seq, pooledOut, hidden } = noGrad(() => tidy(() => {
      const o = backbone.forward(bertInputs(batch, this.model.config), { outputHiddenStates: withHidden });
      return { seq: o.sequenceOutput, pooledOut: o.pooledOutput, hidden: o.hiddenStates ?? [] };
    }));
    // With hidden states the last one is the sequence output itself: download each tensor once.
    const tensors: Tensor[] = [...new Set([...hidden, seq])];
    if (pooledOut) tensors.push(pooledOut);
    const host = new Map<Tensor, Float32Array>();
    (await Promise.all(tensors.map((t) => t.data()))).forEach((values, i) => host.set(tensors[i], values as Float32Array));
    tensors.forEach((t) => t.dispose());
    const sequence = host.get(seq)!;
    const pooled = pooledOut ? host.get(pooledOut)! : null;
    const layers = hidden.map((t) => host.get(t)!);
    return texts.map((text, b) => {
      const enc = encodings[b][0];
      const n = Math.min(enc.length, S - 2);
      const T = n + 2;
      const rows = (src: Float32Array) => new Matrix(T, H, src.slice(b * S * H, (b * S + T) * H));
      const seq = rows(sequence);
      const mean = new Float32Array(H);
      for (let t = 0; t < T; t++) {
        const r = seq.row(t);
        for (let h = 0; h < H; h++) mean[h] += r[h] / T;
      }
      const ids = Array.from(batch.tokenIds.subarray(b * S, b * S + T));
      const offsets: [number, number][] = ids.map((_, t) => (t === 0 || t === T - 1 ? [0, 0] : [enc.starts[t - 1], enc.ends[t - 1]]));
      return {
        text,
        tokens: ids.map((id) => this.tokenizer.idToToken(id) ?? ''),
        ids,
        offsets,
        sequence: seq,
        cls: seq.row(0).slice(),
        pooled: pooled ? pooled.slice(b * H, (b + 1) * H) : null,
        mean,
        ...(withHidden ? { hiddenStates: layers.map(rows) } : {}),
      };
    });
  }

  /** By Hub repo id (`google-bert/bert-base-uncased`, `user/repo@revision`), directory or URL; cached (see HubOptions). */
  static fromPretrained(nameOrPathOrUrl: string, options: HubOptions & { dtype?: ComputeDType } = {}): Promise<FeatureExtraction> {
    return pipelineFromPretrained(nameOrPathOrUrl, options, (files) => FeatureExtraction.fromFiles(files));
  }

  static async load(dir: string): Promise<FeatureExtraction> {
    return FeatureExtraction.fromFiles(await pipelineStorage().load(dir));
  }

  /** Any saved BERT (a BertModel, or a task model whose encoder is used). */
  static fromFiles(files: PipelineFiles): FeatureExtraction {
    const settings = settingsFromFiles(files);
    const tokenizer = tokenizerFromFiles(files);
    const model = modelFromFiles(files);
    try {
      return new FeatureExtraction({ model, tokenizer, sequenceLength: settings.sequenceLength });
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
}
