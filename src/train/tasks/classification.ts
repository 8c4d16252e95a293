// Sequence classification (BertClassifier): texts or text pairs with a class id or name each.
// A head with several logits trains with softmax cross-entropy; a single-logit head (seed 000's
// sigmoid output) with binary cross-entropy on 0 / 1 labels, and reports binary accuracy.
import { engine } from '../../gpu/runtime.ts';
import type { Tensor } from '../../gpu/tensor.ts';
import { noGrad } from '../../autograd/tape.ts';
import type { TruncationStrategy } from '../../data/truncation.ts';
import type { WordPieceTokenizer } from '../../data/wordpiece-tokenizer.ts';
import { BertClassifier } from '../../nn/classifier.ts';
import { bertInputs, type HostBatch } from '../../nn/inputs.ts';
import type { BertTaskModel } from '../../nn/pretrained.ts';
import { tidy } from '../../gpu/runtime.ts';
import { binaryCrossEntropyWithLogits } from '../losses.ts';
import { checkHostBatch, isHostBatch, type Task, type TaskOutput, type TrainBatch } from '../task.ts';
import { describe, packTexts, realTokens, type Padding, type TextInput } from '../text.ts';

export interface ClassificationExample {
  /** A text, or a pair [sentence A, sentence B]. */
  text: TextInput;
  /** Class id, or class name (from the task's `labels` or the model's id2label). Not needed to predict. */
  label?: number | string;
}

/** A packed host batch with its class ids (what fit takes when the data is already tokenized). */
export interface ClassificationHostBatch extends HostBatch {
  labels?: Int32Array;
}

export interface ClassificationBatch extends TrainBatch {
  labels?: Int32Array;
}

export interface ClassificationPrediction {
  /** Predicted class id. */
  label: number;
  /** Its probability. */
  score: number;
  /** Probability of every class (softmax; for a single-logit head [1 - p, p]). */
  probabilities: Float32Array;
  /** The head's raw outputs. */
  logits: Float32Array;
}

export interface ClassificationTaskOptions {
  /** Needed for raw text examples. */
  tokenizer?: WordPieceTokenizer;
  /** Tokens per row, [CLS] and [SEP] included. Default: min(512, the model's max_position_embeddings). */
  sequenceLength?: number;
  /** Default 'longest'. */
  padding?: Padding;
  /** For text pairs. Default 'longest_first'. */
  truncate?: TruncationStrategy;
  /** Class names for string labels. Default: the model's id2label. A single-logit head takes two names (0 and 1). */
  labels?: readonly string[];
}

export type ClassificationTask = Task<ClassificationExample | ClassificationHostBatch | TextInput, ClassificationBatch, ClassificationPrediction, BertClassifier>;

const NAME = 'classification';

/** The class names of a classifier, in id order (config.json's id2label). */
export function classNames(model: BertClassifier): string[] {
  const map = model.config.id2label ?? {};
  return Array.from({ length: Object.keys(map).length }, (_, i) => map[String(i)] ?? `LABEL_${i}`);
}

export function classification(options: ClassificationTaskOptions = {}): ClassificationTask {
  let checked: { numLabels: number; names: string[]; sequenceLength: number } | null = null;

  const state = () => {
    if (!checked) throw new Error(`${NAME} task: call check(model) first (fit, evaluate and predict do)`);
    return checked;
  };

  const labelId = (label: number | string, where: string): number => {
    const { numLabels, names } = state();
    const classes = numLabels === 1 ? 2 : numLabels;
    if (typeof label === 'string') {
      const id = names.indexOf(label);
      if (id < 0) throw new Error(`${NAME} task: ${where} has label ${JSON.stringify(label)}, which is not one of the ${names.length} class names (${names.join(', ')})`);
      return id;
    }
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      const head = numLabels === 1 ? 'a single-logit (binary) head, which takes labels 0 and 1' : `${numLabels} labels (${names.join(', ')})`;
      throw new Error(`${NAME} task: ${where} has label ${label}, outside the model's ${head}`);
    }
    return label;
  };

  const collate = (examples: readonly (ClassificationExample | TextInput)[]): ClassificationBatch => {
    const { sequenceLength } = state();
    if (!options.tokenizer) throw new Error(`${NAME} task: raw text examples need a tokenizer (classification({ tokenizer, ... }))`);
    const texts: TextInput[] = [];
    const labels: number[] = [];
    examples.forEach((ex, i) => {
      if (typeof ex === 'string' || Array.isArray(ex)) {
        texts.push(ex as TextInput); // a text or a pair, to predict
        return;
      }
      if (typeof ex !== 'object' || ex === null || !('text' in ex)) throw new Error(`${NAME} task: example ${i} is ${describe(ex)}; expected { text, label }, a string or a [text, text] pair`);
      texts.push(ex.text);
      if (ex.label !== undefined) labels.push(labelId(ex.label, `example ${i}`));
    });
    if (labels.length && labels.length !== examples.length) throw new Error(`${NAME} task: ${labels.length} of ${examples.length} examples in a batch have labels; give all or none`);
    const { batch } = packTexts(options.tokenizer, texts, { sequenceLength, padding: options.padding, truncate: options.truncate });
    return make(batch, labels.length ? Int32Array.from(labels) : undefined);
  };

  const make = (inputs: HostBatch, labels: Int32Array | undefined): ClassificationBatch => ({
    inputs,
    examples: inputs.batchSize,
    tokens: realTokens(inputs),
    lossWeight: inputs.batchSize,
    ...(labels ? { labels } : {}),
  });

  return {
    name: NAME,

    check(model: BertTaskModel): void {
      if (!(model instanceof BertClassifier)) throw new Error(`${NAME} task: needs a BertClassifier, got ${model.architecture}`);
      const numLabels = model.numLabels;
      const expected = numLabels === 1 ? 2 : numLabels;
      const names = options.labels ? [...options.labels] : numLabels === 1 ? ['0', '1'] : classNames(model);
      if (names.length !== expected) {
        throw new Error(`${NAME} task: ${names.length} label names (${names.join(', ')}) but the model has ${numLabels === 1 ? 'a single-logit head (2 classes)' : `${numLabels} labels`}`);
      }
      const max = model.config.max_position_embeddings;
      const sequenceLength = options.sequenceLength ?? Math.min(512, max);
      if (sequenceLength > max) throw new Error(`${NAME} task: sequenceLength ${sequenceLength} exceeds the model's max_position_embeddings (${max})`);
      if (options.tokenizer && options.tokenizer.vocabSize > model.config.vocab_size) {
        throw new Error(`${NAME} task: the tokenizer has ${options.tokenizer.vocabSize} tokens but the model's vocab_size is ${model.config.vocab_size}`);
      }
      checked = { numLabels, names, sequenceLength };
    },

    collator: () => collate as (examples: readonly (ClassificationExample | ClassificationHostBatch | TextInput)[]) => ClassificationBatch,

    isBatch: isHostBatch,

    fromBatch(x: unknown): ClassificationBatch {
      const b = x as ClassificationHostBatch;
      checkHostBatch(NAME, b);
      if (b.labels) {
        if (!(b.labels instanceof Int32Array) || b.labels.length !== b.batchSize) {
          throw new Error(`${NAME} task: a host batch's labels must be an Int32Array of batchSize (${b.batchSize}) class ids`);
        }
        b.labels.forEach((l, i) => labelId(l, `row ${i} of a host batch`));
      }
      return make(b, b.labels);
    },

    forward(model: BertClassifier, batch: ClassificationBatch): TaskOutput {
      if (!batch.labels) throw new Error(`${NAME} task: training and evaluation need labels on every example`);
      const inputs = bertInputs(batch.inputs, model.config);
      const labels = engine().tensor(batch.labels, [batch.labels.length], 'i32');
      if (model.numLabels === 1) {
        const { logits } = model.forward(inputs);
        const targets = engine().tensor(Float32Array.from(batch.labels), [batch.labels.length], 'f32');
        return { loss: binaryCrossEntropyWithLogits(logits, targets), targets: [{ logits, labels, binary: true }] };
      }
      const { logits, loss } = model.forward({ ...inputs, labels });
      return { loss: loss!, targets: [{ logits, labels }] };
    },

    async predict(model: BertClassifier, batch: ClassificationBatch): Promise<ClassificationPrediction[]> {
      const logits: Tensor = noGrad(() => tidy(() => model.forward(bertInputs(batch.inputs, model.config)).logits));
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      const n = model.numLabels;
      return Array.from({ length: batch.inputs.batchSize }, (_, b) => {
        const row = values.slice(b * n, (b + 1) * n);
        const probabilities = n === 1 ? binaryProbabilities(row[0]) : softmax(row);
        let label = 0;
        for (let c = 1; c < probabilities.length; c++) if (probabilities[c] > probabilities[label]) label = c;
        return { label, score: probabilities[label], probabilities, logits: row };
      });
    },
  };
}

/** Softmax of one row in float64 (max subtracted), as f32. */
function softmax(row: ArrayLike<number>): Float32Array {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) m = Math.max(m, row[i]);
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.exp(row[i] - m);
  return Float32Array.from({ length: row.length }, (_, i) => Math.exp(row[i] - m) / s);
}

function binaryProbabilities(logit: number): Float32Array {
  const p = 1 / (1 + Math.exp(-logit));
  return Float32Array.of(1 - p, p);
}
