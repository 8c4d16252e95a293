// Sequence classification (HF BertForSequenceClassification): pooled [CLS] -> dropout -> dense.
// Also the head of the Keras MLM example (seed 000): global max pooling over the real tokens,
// then an optional hidden dense layer with ReLU, then the classifier.
import { castTo } from '../autograd/cast.ts';
import type { FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { tidy } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { affine as affineRaw } from '../kernels/elementwise.ts';
import { cast } from '../kernels/fill.ts';
import { add, relu } from '../autograd/elementwise.ts';
import { crossEntropy } from '../autograd/loss.ts';
import { max } from '../autograd/reduce.ts';
import type { BertForwardOptions, BertInputs } from './bert.ts';
import { labelMaps, numLabels as configLabels, type BertConfig } from './config.ts';
import { Dropout, Linear } from './layers.ts';
import { BertTaskModel, CUSTOM_CLASSIFIER, resolveConfig, type BertArchitecture, type ModelOptions } from './pretrained.ts';
import type { FromPretrainedOptions } from '../hub/pretrained.ts';
import { loadPretrained } from './from-pretrained.ts';

export type Pooling = 'cls' | 'max';

export interface ClassifierOptions extends ModelOptions {
  /** Number of classes; default: the config's id2label size, else 2. */
  numLabels?: number;
  /** Class names for config.json's id2label (default LABEL_0, LABEL_1, ...). */
  labelNames?: readonly string[];
  /** 'cls': the pooler's tanh(dense([CLS])) (BERT, HF). 'max': max over the real tokens' final states (Keras example). */
  pooling?: Pooling;
  /** Width of a dense + ReLU layer between pooling and the classifier (the Keras example uses 64). Default none. */
  hiddenSize?: number;
}

export interface ClassifierInputs extends BertInputs {
  /** (B) i32 class ids. */
  labels?: Tensor;
}

export interface ClassifierOutput {
  /** (B, numLabels) */
  logits: Tensor<FloatDType>;
  /** Mean cross-entropy (shape []), when labels are given. */
  loss?: Tensor<FloatDType>;
  hiddenStates?: Tensor<FloatDType>[];
}

// Added to padded positions before max pooling: far below any hidden state, and exactly 0 - 0 at real ones.
const MASKED = 1e30;

/**
 * The classifier's config: the given one with its head recorded (id2label / label2id, and
 * classifier_pooling / classifier_hidden_size for the max-pooling head), so a saved checkpoint
 * rebuilds the same head. Options override what the config says.
 */
function classifierConfig(c: BertConfig, options: ClassifierOptions): BertConfig {
  const n = options.numLabels ?? configLabels(c) ?? 2;
  if (!Number.isInteger(n) || n < 1) throw new Error(`BertClassifier: numLabels must be a positive integer, got ${n}`);
  const pooling = options.pooling ?? (c.classifier_pooling === 'max' ? 'max' : 'cls');
  const hiddenSize = options.hiddenSize ?? (typeof c.classifier_hidden_size === 'number' ? c.classifier_hidden_size : undefined);
  const names = options.labelNames ?? (configLabels(c) === n ? Object.values(c.id2label!) : undefined);
  const { classifier_pooling: _p, classifier_hidden_size: _h, ...rest } = c;
  return {
    ...rest,
    ...labelMaps(n, names),
    ...(pooling === 'max' ? { classifier_pooling: 'max' } : {}),
    ...(hiddenSize ? { classifier_hidden_size: hiddenSize } : {}),
  };
}

export class BertClassifier extends BertTaskModel {
  /** Loads a classifier (a BertForSequenceClassification checkpoint, or any BERT with a new head: `numLabels`) by Hub repo id (`google-bert/bert-base-uncased`, `user/repo@revision`), directory or URL. */
  static fromPretrained(nameOrPathOrUrl: string, options: FromPretrainedOptions = {}): Promise<BertClassifier> {
    return loadPretrained<BertClassifier>(nameOrPathOrUrl, options, 'BertForSequenceClassification');
  }

  /** transformers' class for the standard head; this library's own name for max pooling or a hidden layer. */
  get architecture(): BertArchitecture {
    return this.pooling === 'cls' && !this.preClassifier ? 'BertForSequenceClassification' : CUSTOM_CLASSIFIER;
  }
  readonly numLabels: number;
  readonly pooling: Pooling;
  readonly dropout: Dropout;
  readonly preClassifier: Linear | null;
  readonly classifier: Linear;

  constructor(config: BertConfig | string, options: ClassifierOptions = {}) {
    const c = classifierConfig(resolveConfig(config), options);
    super(c, options, c.classifier_pooling !== 'max');
    this.numLabels = configLabels(c)!;
    this.pooling = c.classifier_pooling === 'max' ? 'max' : 'cls';
    const hidden = c.classifier_hidden_size as number | undefined;
    this.dropout = this.child('dropout', new Dropout(c.classifier_dropout ?? c.hidden_dropout_prob, this.generator));
    this.preClassifier = hidden ? this.child('pre_classifier', new Linear(c.hidden_size, hidden, this.init)) : null;
    this.classifier = this.child('classifier', new Linear(hidden ?? c.hidden_size, this.numLabels, this.init));
  }

  forward(inputs: ClassifierInputs, options: BertForwardOptions = {}): ClassifierOutput {
    const { labels } = inputs;
    const [batch] = inputs.inputIds.shape;
    if (labels && (labels.rank !== 1 || labels.shape[0] !== batch)) {
      throw new OpError('BertClassifier', `labels must be (batch) = [${batch}], got ${shapeStr(labels.shape)}`);
    }
    return tidy(() => {
      const { sequenceOutput, pooledOutput, hiddenStates } = this.bert.forward(inputs, options);
      // The head is small: it runs in f32 whatever the backbone's dtype.
      let x = this.pooling === 'cls' ? castTo(pooledOutput!, 'f32') : maxPool(castTo(sequenceOutput, 'f32'), inputs.attentionMask);
      x = this.dropout.forward(x);
      if (this.preClassifier) x = relu(this.preClassifier.forward(x));
      const logits = this.classifier.forward(x);
      const out: ClassifierOutput = { logits, ...(hiddenStates ? { hiddenStates } : {}) };
      if (labels) out.loss = crossEntropy(logits, labels, { names: { input: 'labels', classes: `num_labels = ${this.numLabels}` } });
      return out;
    });
  }

  override configJson(): BertConfig {
    return { ...super.configJson(), problem_type: 'single_label_classification' };
  }
}

/** Max over the sequence of (B, S, H), padded positions excluded -> (B, H). */
function maxPool(h: Tensor, attentionMask?: Tensor): Tensor<FloatDType> {
  if (!attentionMask) return max(h, { axis: 1 });
  const [batch, seq] = attentionMask.shape;
  const m = attentionMask.dtype === 'f32' ? attentionMask : cast(attentionMask, 'f32');
  const offset = affineRaw(m, MASKED, -MASKED).reshape([batch, seq, 1]); // 0 for real tokens, -1e30 for padding
  return max(add(h, offset), { axis: 1 });
}
