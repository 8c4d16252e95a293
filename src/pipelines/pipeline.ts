// What every pipeline shares: a model, its tokenizer and a sequence length, and saving all three
// as one directory that loads back to the same predictions.
import type { FloatDType } from '../gpu/dtype.ts';
import type { ComputeDType } from '../nn/compute-dtype.ts';
import type { WordPieceTokenizer } from '../data/wordpiece-tokenizer.ts';
import type { BertPretrained } from '../nn/pretrained.ts';
import type { SaveDType } from '../io/checkpoint.ts';
import { pipelineFiles, pipelineStorage, pipelineTextFiles, type PipelineFiles, type PipelineSettings, type PipelineTask } from './files.ts';

export interface PipelineOptions<M> {
  model: M;
  tokenizer: WordPieceTokenizer;
  /** Tokens per packed row, [CLS] and [SEP] included; longer inputs are truncated. Default: min(the task's default, the model's max_position_embeddings). */
  sequenceLength?: number;
  /** Activation storage for inference ('f16' halves it; needs shader-f16). Default: the model's. */
  dtype?: ComputeDType;
}

export abstract class Pipeline<M extends BertPretrained> {
  abstract readonly task: PipelineTask;
  readonly model: M;
  readonly tokenizer: WordPieceTokenizer;
  readonly sequenceLength: number;

  protected constructor(options: PipelineOptions<M>, defaultLength: number, name: string) {
    const { model, tokenizer } = options;
    if (!model || !tokenizer) throw new Error(`${name}: needs { model, tokenizer }`);
    const max = model.config.max_position_embeddings;
    this.sequenceLength = options.sequenceLength ?? Math.min(defaultLength, max);
    if (!Number.isInteger(this.sequenceLength) || this.sequenceLength < 3 || this.sequenceLength > max) {
      throw new Error(`${name}: sequenceLength must be an integer in [3, max_position_embeddings = ${max}], got ${this.sequenceLength}`);
    }
    if (tokenizer.vocabSize > model.config.vocab_size) {
      throw new Error(`${name}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${model.config.vocab_size}`);
    }
    if (options.dtype !== undefined) model.dtype = options.dtype;
    this.model = model;
    this.tokenizer = tokenizer;
  }

  /** The model's activation storage: 'f16' runs inference with half the activation memory. */
  get dtype(): FloatDType {
    return this.model.dtype;
  }

  set dtype(value: ComputeDType) {
    this.model.dtype = value;
  }

  /** pipeline.json: the task and what a reload needs to behave the same. */
  protected settings(): PipelineSettings {
    return { task: this.task, sequenceLength: this.sequenceLength };
  }

  /** Every file of the saved pipeline, in memory (for browsers; Node's save() streams the weights). */
  toFiles(options: { dtype?: SaveDType } = {}): Promise<PipelineFiles> {
    return pipelineFiles(this.model, this.tokenizer, this.settings(), options);
  }

  /**
   * Saves the model, tokenizer and settings to a directory (Node): a Hugging Face model directory
   * plus pipeline.json; every file is written to a temporary name and renamed into place.
   * `dtype: 'float16'` stores the weights at half the size.
   */
  async save(dir: string, options: { dtype?: SaveDType } = {}): Promise<void> {
    await pipelineStorage().save(dir, this.model, pipelineTextFiles(this.tokenizer, this.settings()), options);
  }

  /** Frees the model's GPU memory. */
  dispose(): void {
    this.model.dispose();
  }
}
