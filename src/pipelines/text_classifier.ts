// Raw strings in, labels out: tokenizer + packer + BertClassifier + class names in one object,
// as KerasNLP's BertClassifier with its preprocessor (seed 002) and seed 000's end-to-end model.
import type { ComputeDType } from '../nn/compute-dtype.ts';
import { Dataset } from '../data/dataset.ts';
import type { WordPieceTokenizer } from '../data/wordpiece-tokenizer.ts';
import { BertClassifier, type Pooling } from '../nn/classifier.ts';
import { bertConfig, labelMaps, type BertConfig } from '../nn/config.ts';
import type { BertPretrained } from '../nn/pretrained.ts';
import { evaluate } from '../train/evaluate.ts';
import { fit, type FitOptions } from '../train/fit.ts';
import type { History, Logs } from '../train/history.ts';
import { predict } from '../train/predict.ts';
import { classification, classNames, type ClassificationExample, type ClassificationTask } from '../train/tasks/classification.ts';
import type { Padding, TextInput } from '../train/text.ts';
import { copyBackboneWeights } from './backbone.ts';
import { modelFromFiles, pipelineStorage, settingsFromFiles, tokenizerFromFiles, type PipelineFiles, type PipelineSettings } from './files.ts';
import { Pipeline, type PipelineOptions } from './pipeline.ts';
import { pipelineFromPretrained, type HubOptions } from '../hub/pretrained.ts';

export interface Classification {
  /** The predicted class name. */
  label: string;
  /** Its probability. */
  score: number;
  /** Probability of every class by name. */
  scores: Record<string, number>;
  /** The predicted class id. */
  labelId: number;
}

export interface TextClassifierOptions extends PipelineOptions<BertClassifier> {
  /** Class names in id order; default the model's id2label. Must match the model's number of labels. */
  labels?: readonly string[];
  /** Default 'longest' (each batch padded to its longest text). */
  padding?: Padding;
}

export interface CreateTextClassifierOptions {
  tokenizer: WordPieceTokenizer;
  /** Class names in id order (their count is the number of labels). */
  labels: readonly string[];
  /** A config or a size name ('bert-tiny', 'L-4_H-256_A-4'); the vocabulary size comes from the tokenizer. Default 'bert-tiny'. Ignored with `backbone`. */
  config?: BertConfig | string;
  /** Start from this model's encoder weights (an MLM-pretrained model): its config is used. */
  backbone?: BertPretrained;
  /** Default 128. */
  sequenceLength?: number;
  /** 'cls' (pooler on [CLS], BERT) or 'max' (max over tokens, seed 000). Default 'cls'. */
  pooling?: Pooling;
  /** Width of a dense + ReLU layer before the classifier (seed 000 uses 64). */
  hiddenSize?: number;
  /** Initialisation and dropout seed. Default 0. */
  seed?: number;
}

/** fromPretrained's options for a checkpoint that is not a classifier yet. */
export type NewHeadOptions = Partial<Pick<CreateTextClassifierOptions, 'labels' | 'sequenceLength' | 'pooling' | 'hiddenSize' | 'seed'>>;

/** fit()'s options for raw strings: validation data as texts and labels. */
export interface TextClassifierFitOptions extends Omit<FitOptions<ClassificationExample>, 'task' | 'validationData'> {
  validationData?: { texts: readonly TextInput[]; labels: readonly (number | string)[] };
}

export class TextClassifier extends Pipeline<BertClassifier> {
  readonly task = 'text-classification' as const;
  readonly labels: readonly string[];
  readonly padding: Padding;
  private readonly adapter: ClassificationTask;

  constructor(options: TextClassifierOptions) {
    super(options, 512, 'TextClassifier');
    if (!(options.model instanceof BertClassifier)) throw new Error(`TextClassifier: needs a BertClassifier, got ${(options.model as BertPretrained).architecture}`);
    const n = options.model.numLabels;
    if (n < 2) throw new Error('TextClassifier: the model has a single logit; build the classifier with 2 labels (softmax) to name both classes');
    if (options.labels) {
      if (options.labels.length !== n) throw new Error(`TextClassifier: ${options.labels.length} label names (${options.labels.join(', ')}) but the model has ${n} labels`);
      if (new Set(options.labels).size !== n) throw new Error(`TextClassifier: label names must be distinct, got ${options.labels.join(', ')}`);
      // The names travel with the model (config.json's id2label), so a saved classifier keeps them.
      Object.assign(options.model.config, labelMaps(n, options.labels));
    }
    this.labels = classNames(options.model);
    this.padding = options.padding ?? 'longest';
    this.adapter = classification({ tokenizer: this.tokenizer, sequenceLength: this.sequenceLength, padding: this.padding, labels: this.labels });
    this.adapter.check(this.model);
  }

  /** A new classifier for a tokenizer and class names (optionally on a pretrained encoder). */
  static create(options: CreateTextClassifierOptions): TextClassifier {
    const { tokenizer, labels, backbone, sequenceLength = 128 } = options;
    if (!labels || labels.length < 2) throw new Error(`TextClassifier.create: needs at least 2 label names, got ${labels?.length ?? 0}`);
    let config: BertConfig;
    if (backbone) config = { ...backbone.config };
    else if (typeof options.config === 'object') config = { ...options.config };
    else config = bertConfig(options.config ?? 'bert-tiny', { vocab: tokenizer, max_position_embeddings: Math.max(512, sequenceLength) });
    const model = new BertClassifier(config, { numLabels: labels.length, labelNames: labels, pooling: options.pooling, hiddenSize: options.hiddenSize, seed: options.seed });
    try {
      if (backbone) copyBackboneWeights(backbone, model);
      return new TextClassifier({ model, tokenizer, labels, sequenceLength });
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /** Classifies one text (or [sentence A, sentence B] pairs in an array). */
  predict(text: string, options?: { batchSize?: number }): Promise<Classification>;
  /** Classifies many texts or text pairs, batched. */
  predict(texts: readonly TextInput[], options?: { batchSize?: number }): Promise<Classification[]>;
  async predict(input: string | readonly TextInput[], options: { batchSize?: number } = {}): Promise<Classification | Classification[]> {
    const texts = typeof input === 'string' ? [input] : input;
    if (!Array.isArray(texts)) throw new Error('TextClassifier.predict: expected a string or an array of strings (or [text, text] pairs)');
    const out = await predict(this.model, texts as readonly TextInput[], { task: this.adapter as never, batchSize: options.batchSize });
    const results = (out as { label: number; probabilities: Float32Array }[]).map((p) => ({
      label: this.labels[p.label],
      score: p.probabilities[p.label],
      scores: Object.fromEntries(this.labels.map((name, i) => [name, p.probabilities[i]])),
      labelId: p.label,
    }));
    return typeof input === 'string' ? results[0] : results;
  }

  /** Trains on texts and their labels (ids or names); see fit() for the options. */
  async fit(texts: readonly TextInput[], labels: readonly (number | string)[], options: TextClassifierFitOptions = {}): Promise<History> {
    const { validationData, ...rest } = options;
    return fit(this.model, examples(texts, labels, 'TextClassifier.fit'), {
      ...rest,
      task: this.adapter as never,
      ...(validationData ? { validationData: examples(validationData.texts, validationData.labels, 'TextClassifier.fit (validationData)') } : {}),
    });
  }

  /** The loss and accuracy on texts and their labels. */
  async evaluate(texts: readonly TextInput[], labels: readonly (number | string)[], options: { batchSize?: number } = {}): Promise<Logs> {
    return evaluate(this.model, examples(texts, labels, 'TextClassifier.evaluate'), { task: this.adapter as never, batchSize: options.batchSize });
  }

  protected override settings(): PipelineSettings {
    return { ...super.settings(), padding: this.padding };
  }

  /**
   * By Hub repo id (`google-bert/bert-base-uncased`, `user/repo@revision`), preset, directory or URL;
   * cached (see HubOptions). A classifier loads as it was saved. Any other BERT (a fill-mask preset, a
   * backbone) needs `labels`: its encoder gets a new, initialised classification head, as KerasNLP's
   * `BertClassifier.from_preset(name, num_classes)` and transformers' `num_labels` do.
   */
  static fromPretrained(nameOrPathOrUrl: string, options: HubOptions & NewHeadOptions & { dtype?: ComputeDType } = {}): Promise<TextClassifier> {
    return pipelineFromPretrained(nameOrPathOrUrl, options, (files) => {
      const settings = settingsFromFiles(files);
      if (settings.task === 'text-classification') {
        const classifier = TextClassifier.fromFiles(files);
        if (options.labels && options.labels.join('\n') !== classifier.labels.join('\n')) {
          classifier.dispose();
          throw new Error(`TextClassifier.fromPretrained: the checkpoint is a classifier of ${classifier.labels.join(', ')}; labels ${options.labels.join(', ')} were asked for (load its encoder into a new head with TextClassifier.create({ backbone }))`);
        }
        return classifier;
      }
      if (!options.labels) throw new Error(`TextClassifier.fromPretrained: the checkpoint is a '${settings.task}' model, not a classifier; pass { labels: [...] } to put a new classification head on its encoder`);
      const backbone = modelFromFiles(files);
      try {
        return TextClassifier.create({ ...options, labels: options.labels, tokenizer: tokenizerFromFiles(files), backbone, sequenceLength: options.sequenceLength ?? settings.sequenceLength });
      } finally {
        backbone.dispose();
      }
    });
  }

  /** Loads a classifier saved with save() (or a transformers BertForSequenceClassification directory). */
  static async load(dir: string): Promise<TextClassifier> {
    return TextClassifier.fromFiles(await pipelineStorage().load(dir));
  }

  /** From files in memory (toFiles()' output, or fetched). */
  static fromFiles(files: PipelineFiles): TextClassifier {
    const settings = settingsFromFiles(files, 'text-classification');
    const tokenizer = tokenizerFromFiles(files);
    const model = modelFromFiles(files, { architecture: 'BertForSequenceClassification' }) as BertClassifier;
    try {
      return new TextClassifier({ model, tokenizer, sequenceLength: settings.sequenceLength, padding: settings.padding as Padding | undefined });
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
}

function examples(texts: readonly TextInput[], labels: readonly (number | string)[], what: string): Dataset<ClassificationExample> {
  if (!Array.isArray(texts) || !Array.isArray(labels)) throw new Error(`${what}: expected an array of texts and an array of labels`);
  if (texts.length !== labels.length) throw new Error(`${what}: ${texts.length} texts but ${labels.length} labels`);
  if (texts.length === 0) throw new Error(`${what}: no texts`);
  return Dataset.fromArray(texts.map((text, i) => ({ text, label: labels[i] })));
}
