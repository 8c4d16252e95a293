// Extractive question answering (BertForQuestionAnswering). Each example packs as
// [CLS] question [SEP] context [SEP]; a context longer than fits is cut into windows that
// overlap by `docStride` tokens (Hugging Face's doc_stride), each window its own row. Training
// labels a window with the answer's first and last token when the whole answer is inside it,
// else with [CLS] (position 0), as HF's run_qa does. Prediction takes the best span inside the
// context of every window, scores it P(start) x P(end) with the softmaxes over that window's
// context tokens (HF's question-answering pipeline), keeps the best window, and maps the tokens'
// character offsets back to the exact substring of the original context.
import { noGrad } from '../../autograd/tape.ts';
import type { Encoding } from '../../data/encoding.ts';
import type { WordPieceTokenizer } from '../../data/wordpiece-tokenizer.ts';
import { engine, tidy } from '../../gpu/runtime.ts';
import { bertInputs, type HostBatch } from '../../nn/inputs.ts';
import type { BertTaskModel } from '../../nn/pretrained.ts';
import { BertForQuestionAnswering } from '../../nn/question_answering.ts';
import { bestSpans, contextTokens } from '../../nn/spans.ts';
import { checkHostBatch, isHostBatch, type Task, type TaskOutput, type TrainBatch } from '../task.ts';
import { describe, packSegments, realTokens, type Padding } from '../text.ts';

export interface QuestionAnsweringExample {
  question: string;
  context: string;
  /**
   * The answer for training: its text and where it starts in `context` (a JS string index,
   * UTF-16 code units). Without `start`, the first occurrence of `text` in the context.
   */
  answer?: { text: string; start?: number };
}

/** A packed host batch with answer token positions (sequence length = no answer, ignored). */
export interface QuestionAnsweringHostBatch extends HostBatch {
  startPositions?: Int32Array;
  endPositions?: Int32Array;
}

/** One row of a batch: a window of one example's context. */
export interface QuestionAnsweringFeature {
  /** Index of the example within the batch. */
  example: number;
  /** Which window of that example (0 = the start of the context). */
  window: number;
  /** Position in the row of the window's first context token (after [CLS] question [SEP]). */
  contextOffset: number;
  /** Index into the context's encoding of the window's first token. */
  windowStart: number;
  /** Context tokens in the window. */
  windowLength: number;
}

export interface QuestionAnsweringBatch extends TrainBatch {
  /** One per row; absent for pre-packed host batches. */
  features?: QuestionAnsweringFeature[];
  /** Per example: the context and its encoding (character offsets). */
  contexts?: { text: string; encoding: Encoding }[];
  startPositions?: Int32Array;
  endPositions?: Int32Array;
}

export interface QuestionAnsweringPrediction {
  /** The answer: exactly `context.slice(start, end)`; '' when the context has no token to answer with. */
  answer: string;
  /** P(start) x P(end), softmaxes over the context tokens of the window the answer came from. */
  score: number;
  /** Character offsets of the answer in the original context (UTF-16 code units); -1 for pre-packed batches. */
  start: number;
  end: number;
  /** The window the answer came from, and the answer's first and last token positions in that row. */
  window: number;
  tokenStart: number;
  tokenEnd: number;
}

export interface QuestionAnsweringTaskOptions {
  tokenizer?: WordPieceTokenizer;
  /** Tokens per row. Default min(384, the model's max_position_embeddings) (HF's default). */
  sequenceLength?: number;
  /** Tokens shared by consecutive windows of a long context. Default min(128, half a window). */
  docStride?: number;
  /** Question tokens kept at most. Default 64 (HF), at most half the sequence length. */
  maxQuestionLength?: number;
  /** Longest answer in tokens. Default 30 (HF). */
  maxAnswerLength?: number;
  /** Default 'longest'. */
  padding?: Padding;
}

export type QuestionAnsweringTask = Task<QuestionAnsweringExample | QuestionAnsweringHostBatch, QuestionAnsweringBatch, QuestionAnsweringPrediction, BertForQuestionAnswering>;

const NAME = 'question-answering';

/** Start indices of windows of `windowLength` tokens over `n` tokens, consecutive windows sharing `stride`. */
export function windowStarts(n: number, windowLength: number, stride: number): number[] {
  if (!(windowLength >= 1)) throw new Error(`${NAME}: a window must hold at least one context token, got ${windowLength}`);
  if (!(stride >= 0 && stride < windowLength)) throw new Error(`${NAME}: docStride (${stride}) must be in [0, window length ${windowLength})`);
  const starts = [0];
  while (starts[starts.length - 1] + windowLength < n) starts.push(starts[starts.length - 1] + windowLength - stride);
  return starts;
}

/** The first and last context tokens (indices into the encoding) that overlap [start, end) characters. */
export function answerTokens(encoding: Encoding, start: number, end: number): [number, number] | null {
  let first = -1;
  let last = -1;
  for (let t = 0; t < encoding.length; t++) {
    if (encoding.ends[t] > start && encoding.starts[t] < end) {
      if (first < 0) first = t;
      last = t;
    }
  }
  return first < 0 ? null : [first, last];
}

export function questionAnswering(options: QuestionAnsweringTaskOptions = {}): QuestionAnsweringTask {
  let sequenceLength = 0;
  let maxQuestionLength = 0;
  const maxAnswerLength = options.maxAnswerLength ?? 30;

  const tokenizer = (): WordPieceTokenizer => {
    if (!options.tokenizer) throw new Error(`${NAME} task: raw examples need a tokenizer (questionAnswering({ tokenizer, ... }))`);
    return options.tokenizer;
  };

  const collate = (examples: readonly QuestionAnsweringExample[]): QuestionAnsweringBatch => {
    const tok = tokenizer();
    const segments: Int32Array[][] = [];
    const features: QuestionAnsweringFeature[] = [];
    const contexts: { text: string; encoding: Encoding }[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const labelled = examples.filter((ex) => ex && typeof ex === 'object' && ex.answer !== undefined).length;
    if (labelled && labelled !== examples.length) throw new Error(`${NAME} task: ${labelled} of ${examples.length} examples in a batch have answers; give all or none`);
    examples.forEach((ex, i) => {
      if (typeof ex !== 'object' || ex === null || typeof ex.question !== 'string' || typeof ex.context !== 'string') {
        throw new Error(`${NAME} task: example ${i} is ${describe(ex)}; expected { question, context, answer? }`);
      }
      const question = tok.encode(ex.question).ids.slice(0, maxQuestionLength);
      const encoding = tok.encode(ex.context);
      contexts.push({ text: ex.context, encoding });
      const windowLength = sequenceLength - question.length - 3;
      if (windowLength < 1) {
        throw new Error(`${NAME} task: example ${i}'s question keeps ${question.length} tokens, which leaves no room for the context in ${sequenceLength} tokens (lower maxQuestionLength)`);
      }
      const stride = options.docStride ?? Math.min(128, Math.floor(windowLength / 2));
      const span = ex.answer ? answerSpan(ex, encoding, i) : null;
      windowStarts(encoding.length, windowLength, stride).forEach((windowStart, window) => {
        const length = Math.min(windowLength, encoding.length - windowStart);
        const contextOffset = question.length + 2;
        features.push({ example: i, window, contextOffset, windowStart, windowLength: length });
        segments.push([question, encoding.ids.subarray(windowStart, windowStart + length)]);
        if (span) {
          const inside = span[0] >= windowStart && span[1] < windowStart + length;
          starts.push(inside ? contextOffset + span[0] - windowStart : 0);
          ends.push(inside ? contextOffset + span[1] - windowStart : 0);
        }
      });
    });
    const inputs = packSegments(tok, segments, { sequenceLength, padding: options.padding });
    return {
      inputs,
      examples: examples.length,
      tokens: realTokens(inputs),
      lossWeight: inputs.batchSize,
      features,
      contexts,
      ...(labelled ? { startPositions: Int32Array.from(starts), endPositions: Int32Array.from(ends) } : {}),
    };
  };

  return {
    name: NAME,

    check(model: BertTaskModel): void {
      if (!(model instanceof BertForQuestionAnswering)) throw new Error(`${NAME} task: needs a BertForQuestionAnswering, got ${model.architecture}`);
      const max = model.config.max_position_embeddings;
      sequenceLength = options.sequenceLength ?? Math.min(384, max);
      if (sequenceLength > max) throw new Error(`${NAME} task: sequenceLength ${sequenceLength} exceeds the model's max_position_embeddings (${max})`);
      if (sequenceLength < 4) throw new Error(`${NAME} task: sequenceLength ${sequenceLength} leaves no room for a question and a context`);
      maxQuestionLength = options.maxQuestionLength ?? defaultMaxQuestionLength(sequenceLength);
      if (options.tokenizer && options.tokenizer.vocabSize > model.config.vocab_size) {
        throw new Error(`${NAME} task: the tokenizer has ${options.tokenizer.vocabSize} tokens but the model's vocab_size is ${model.config.vocab_size}`);
      }
    },

    collator: () => collate as (examples: readonly (QuestionAnsweringExample | QuestionAnsweringHostBatch)[]) => QuestionAnsweringBatch,

    isBatch: isHostBatch,

    fromBatch(x: unknown): QuestionAnsweringBatch {
      const b = x as QuestionAnsweringHostBatch;
      checkHostBatch(NAME, b);
      if (!b.segmentIds) throw new Error(`${NAME} task: a host batch needs segmentIds (0 for the question, 1 for the context)`);
      if (!b.startPositions !== !b.endPositions) throw new Error(`${NAME} task: give a host batch both startPositions and endPositions, or neither`);
      let weight = b.batchSize;
      if (b.startPositions && b.endPositions) {
        for (const [name, p] of [['startPositions', b.startPositions], ['endPositions', b.endPositions]] as const) {
          if (!(p instanceof Int32Array) || p.length !== b.batchSize) throw new Error(`${NAME} task: ${name} must be an Int32Array of batchSize (${b.batchSize}) positions`);
          p.forEach((v, i) => {
            if (!(v >= 0 && v <= b.sequenceLength)) throw new Error(`${NAME} task: ${name}[${i}] = ${v} is outside [0, ${b.sequenceLength}] (${b.sequenceLength} marks no answer)`);
          });
        }
        weight = b.startPositions.filter((v) => v !== b.sequenceLength).length;
      }
      return { inputs: b, examples: b.batchSize, tokens: realTokens(b), lossWeight: weight, startPositions: b.startPositions, endPositions: b.endPositions };
    },

    forward(model: BertForQuestionAnswering, batch: QuestionAnsweringBatch): TaskOutput {
      if (!batch.startPositions || !batch.endPositions) throw new Error(`${NAME} task: training and evaluation need an answer on every example`);
      const rows = batch.inputs.batchSize;
      const startPositions = engine().tensor(batch.startPositions, [rows], 'i32');
      const endPositions = engine().tensor(batch.endPositions, [rows], 'i32');
      const out = model.forward({ ...bertInputs(batch.inputs, model.config), startPositions, endPositions });
      const ignoreIndex = batch.inputs.sequenceLength;
      return {
        loss: out.loss!,
        targets: [
          { logits: out.startLogits, labels: startPositions, ignoreIndex },
          { logits: out.endLogits, labels: endPositions, ignoreIndex },
        ],
      };
    },

    async predict(model: BertForQuestionAnswering, batch: QuestionAnsweringBatch): Promise<QuestionAnsweringPrediction[]> {
      const out = noGrad(() => tidy(() => {
        const o = model.forward(bertInputs(batch.inputs, model.config));
        return [o.startLogits, o.endLogits];
      }));
      const [start, end] = (await Promise.all(out.map((t) => t.data()))) as Float32Array[];
      out.forEach((t) => t.dispose());
      const { batchSize: B, sequenceLength: S } = batch.inputs;
      const features = batch.features ?? Array.from({ length: B }, (_, b) => ({ example: b, window: 0, contextOffset: -1, windowStart: 0, windowLength: 0 }));
      const best: (QuestionAnsweringPrediction | null)[] = Array.from({ length: batch.examples }, () => null);
      features.forEach((f, b) => {
        const allowed = f.contextOffset >= 0
          ? Uint8Array.from({ length: S }, (_, s) => (s >= f.contextOffset && s < f.contextOffset + f.windowLength ? 1 : 0))
          : contextTokens(batch.inputs.segmentIds!.subarray(b * S, (b + 1) * S), batch.inputs.paddingMask?.subarray(b * S, (b + 1) * S),
            batch.inputs.tokenIds.subarray(b * S, (b + 1) * S), options.tokenizer ? [options.tokenizer.sepId] : []);
        const s = start.subarray(b * S, (b + 1) * S);
        const e = end.subarray(b * S, (b + 1) * S);
        const [span] = bestSpans(s, e, { allowed, maxAnswerLength });
        if (!span) return;
        const score = Math.exp(s[span.start] - maskedLogSumExp(s, allowed) + e[span.end] - maskedLogSumExp(e, allowed));
        if (best[f.example] && !(score > best[f.example]!.score)) return;
        let answer = '';
        let charStart = -1;
        let charEnd = -1;
        const ctx = batch.contexts?.[f.example];
        if (ctx) {
          charStart = ctx.encoding.starts[f.windowStart + span.start - f.contextOffset];
          charEnd = ctx.encoding.ends[f.windowStart + span.end - f.contextOffset];
          answer = ctx.text.slice(charStart, charEnd);
        }
        best[f.example] = { answer, score, start: charStart, end: charEnd, window: f.window, tokenStart: span.start, tokenEnd: span.end };
      });
      return best.map((p) => p ?? { answer: '', score: 0, start: -1, end: -1, window: -1, tokenStart: -1, tokenEnd: -1 });
    },
  };
}

/** HF's 64, but never more than half a row. */
export function defaultMaxQuestionLength(sequenceLength: number): number {
  return Math.min(64, Math.floor(sequenceLength / 2));
}

/** The answer's [first, last] context tokens, checking the answer against the context. */
function answerSpan(ex: QuestionAnsweringExample, encoding: Encoding, i: number): [number, number] {
  const { text, start } = ex.answer!;
  if (typeof text !== 'string' || !text.trim()) throw new Error(`${NAME} task: example ${i} has an empty answer`);
  let at = start;
  if (at === undefined) {
    at = ex.context.indexOf(text);
    if (at < 0) throw new Error(`${NAME} task: example ${i}'s answer ${JSON.stringify(text)} does not occur in its context`);
  } else if (ex.context.slice(at, at + text.length) !== text) {
    throw new Error(`${NAME} task: example ${i}'s answer ${JSON.stringify(text)} is not at context[${at}] (found ${JSON.stringify(ex.context.slice(at, at + text.length))})`);
  }
  const span = answerTokens(encoding, at, at + text.length);
  if (!span) throw new Error(`${NAME} task: example ${i}'s answer ${JSON.stringify(text)} covers no token of the context`);
  return span;
}

function maskedLogSumExp(x: ArrayLike<number>, allowed: ArrayLike<number | boolean>): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (allowed[i] && x[i] > m) m = x[i];
  let s = 0;
  for (let i = 0; i < x.length; i++) if (allowed[i]) s += Math.exp(x[i] - m);
  return m + Math.log(s);
}
