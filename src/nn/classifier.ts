// Sequence classification (HF BertForSequenceClassification): pooled [CLS] -> dropout -> dense.
// Also the head of the Keras MLM example (seed 000): global max pooling over the real tokens,
// then an optional hidden dense layer with ReLU, then the classifier.
import { OpError, shapeStr } from '../gpu/errors.ts';
import { tidy } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { affine as affineRaw } from '../kernels/elementwise.ts';
import { cast } from '../kernels/fill.ts';
import { add, relu } from '../autograd/elementwise.ts';
import { crossEntropy } from '../autograd/loss.ts';
import { max } from '../autograd/reduce.ts';
import { BertBackbone, type BertForwardOptions, type BertInputs } from './bert.ts';
import { labelMaps, numLabels as configLabels, type BertConfig } from './config.ts';
import { Dropout, Linear } from './layers.ts';
import { Module } from './module.ts';
import { generatorFor, resolveConfig, type BertPretrained, type ModelOptions } from './pretrained.ts';
import type { Generator } from './random.ts';

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
  logits: Tensor<'f32'>;
  /** Mean cross-entropy (shape []), when labels are given. */
  loss?: Tensor<'f32'>;
  hiddenStates?: Tensor<'f32'>[];
}

// Added to padded positions before max pooling: far below any hidden state, and exactly 0 - 0 at real ones.
const MASKED = 1e30;

export class BertClassifier extends Module implements BertPretrained {
  readonly architecture = 'BertForSequenceClassification';
  readonly basePrefix = 'bert';
  readonly config: BertConfig;
  readonly generator: Generator;
  readonly numLabels: number;
  readonly pooling: Pooling;
  readonly bert: BertBackbone;
  readonly dropout: Dropout;
  readonly preClassifier: Linear | null;
  readonly classifier: Linear;

  constructor(config: BertConfig | string, options: ClassifierOptions = {}) {
    super();
    const c = resolveConfig(config);
    this.numLabels = options.numLabels ?? configLabels(c) ?? 2;
    this.pooling = options.pooling ?? (c.classifier_pooling === 'max' ? 'max' : 'cls');
    const hiddenSize = options.hiddenSize ?? (typeof c.classifier_hidden_size === 'number' ? c.classifier_hidden_size : undefined);
    if (!Number.isInteger(this.numLabels) || this.numLabels < 1) throw new Error(`BertClassifier: numLabels must be a positive integer, got ${this.numLabels}`);
    const names = options.labelNames ?? (configLabels(c) === this.numLabels ? Object.values(c.id2label!) : undefined);
    this.config = {
      ...c,
      ...labelMaps(this.numLabels, names),
      ...(this.pooling === 'max' ? { classifier_pooling: 'max' } : {}),
      ...(hiddenSize ? { classifier_hidden_size: hiddenSize } : {}),
    };
    this.generator = generatorFor(options);
    const init = { generator: this.generator, std: c.initializer_range };
    const h = c.hidden_size;
    this.bert = this.child('bert', new BertBackbone(this.config, { ...init, addPoolingLayer: this.pooling === 'cls' }));
    this.dropout = this.child('dropout', new Dropout(c.classifier_dropout ?? c.hidden_dropout_prob, this.generator));
    this.preClassifier = hiddenSize ? this.child('pre_classifier', new Linear(h, hiddenSize, init)) : null;
    this.classifier = this.child('classifier', new Linear(hiddenSize ?? h, this.numLabels, init));
  }

  forward(inputs: ClassifierInputs, options: BertForwardOptions = {}): ClassifierOutput {
    const { labels } = inputs;
    const [batch] = inputs.inputIds.shape;
    if (labels && (labels.rank !== 1 || labels.shape[0] !== batch)) {
      throw new OpError('BertClassifier', `labels must be (batch) = [${batch}], got ${shapeStr(labels.shape)}`);
    }
    return tidy(() => {
      const { sequenceOutput, pooledOutput, hiddenStates } = this.bert.forward(inputs, options);
      let x = this.pooling === 'cls' ? pooledOutput! : maxPool(sequenceOutput, inputs.attentionMask);
      x = this.dropout.forward(x);
      if (this.preClassifier) x = relu(this.preClassifier.forward(x));
      const logits = this.classifier.forward(x);
      const out: ClassifierOutput = { logits, ...(hiddenStates ? { hiddenStates } : {}) };
      if (labels) out.loss = crossEntropy(logits, labels);
      return out;
    });
  }

  configJson(): BertConfig {
    return { ...this.config, architectures: [this.architecture], problem_type: 'single_label_classification' };
  }
}

/** Max over the sequence of (B, S, H), padded positions excluded -> (B, H). */
function maxPool(h: Tensor, attentionMask?: Tensor): Tensor<'f32'> {
  if (!attentionMask) return max(h, { axis: 1 });
  const [batch, seq] = attentionMask.shape;
  const m = attentionMask.dtype === 'f32' ? attentionMask : cast(attentionMask, 'f32');
  const offset = affineRaw(m, MASKED, -MASKED).reshape([batch, seq, 1]); // 0 for real tokens, -1e30 for padding
  return max(add(h, offset), { axis: 1 });
}
