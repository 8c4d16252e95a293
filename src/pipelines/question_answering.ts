// Extractive question answering (seed 004): a question and a paragraph in, the answer's exact
// text in the paragraph out. Long paragraphs are read in overlapping windows and the best span of
// any window wins (src/train/tasks/question_answering.ts has the windowing and span scoring).
import type { ComputeDType } from '../nn/compute-dtype.ts';
import { Dataset } from '../data/dataset.ts';
import { BertForQuestionAnswering } from '../nn/question_answering.ts';
import { evaluate } from '../train/evaluate.ts';
import { fit, type FitOptions } from '../train/fit.ts';
import type { History, Logs } from '../train/history.ts';
import { predict } from '../train/predict.ts';
import {
  defaultMaxQuestionLength, questionAnswering, type QuestionAnsweringExample, type QuestionAnsweringPrediction, type QuestionAnsweringTask,
} from '../train/tasks/question_answering.ts';
import type { Padding } from '../train/text.ts';
import { modelFromFiles, pipelineStorage, settingsFromFiles, tokenizerFromFiles, type PipelineFiles, type PipelineSettings } from './files.ts';
import { copyBackboneWeights } from './backbone.ts';
import { Pipeline, type PipelineOptions } from './pipeline.ts';
import { pipelineFromPretrained, type HubOptions } from '../hub/pretrained.ts';

export type Answer = QuestionAnsweringPrediction;

export interface QuestionAnsweringOptions extends PipelineOptions<BertForQuestionAnswering> {
  /** Tokens shared by consecutive windows of a long context. Default min(128, half a window). */
  docStride?: number;
  /** Question tokens kept at most. Default 64, at most half the sequence length. */
  maxQuestionLength?: number;
  /** Longest answer in tokens. Default 30. */
  maxAnswerLength?: number;
  /** Default 'longest'. */
  padding?: Padding;
}

export class QuestionAnswering extends Pipeline<BertForQuestionAnswering> {
  readonly task = 'question-answering' as const;
  readonly docStride: number | undefined;
  readonly maxQuestionLength: number;
  readonly maxAnswerLength: number;
  readonly padding: Padding;
  private readonly adapter: QuestionAnsweringTask;

  constructor(options: QuestionAnsweringOptions) {
    super(options, 384, 'QuestionAnswering');
    if (!(options.model instanceof BertForQuestionAnswering)) throw new Error(`QuestionAnswering: needs a BertForQuestionAnswering, got ${(options.model as { architecture?: string }).architecture}`);
    this.docStride = options.docStride;
    this.maxQuestionLength = options.maxQuestionLength ?? defaultMaxQuestionLength(this.sequenceLength);
    this.maxAnswerLength = options.maxAnswerLength ?? 30;
    this.padding = options.padding ?? 'longest';
    this.adapter = questionAnswering({
      tokenizer: this.tokenizer, sequenceLength: this.sequenceLength, docStride: this.docStride,
      maxQuestionLength: this.maxQuestionLength, maxAnswerLength: this.maxAnswerLength, padding: this.padding,
    });
    this.adapter.check(this.model);
  }

  /** The answer to one question about one context. */
  answer(question: string, context: string): Promise<Answer> {
    return this.predict({ question, context });
  }

  predict(input: QuestionAnsweringExample, options?: { batchSize?: number }): Promise<Answer>;
  predict(inputs: readonly QuestionAnsweringExample[], options?: { batchSize?: number }): Promise<Answer[]>;
  async predict(input: QuestionAnsweringExample | readonly QuestionAnsweringExample[], options: { batchSize?: number } = {}): Promise<Answer | Answer[]> {
    const list = Array.isArray(input) ? input : [input as QuestionAnsweringExample];
    const questions = list.map(({ question, context }) => ({ question, context }));
    const out = (await predict(this.model, questions, { task: this.adapter as never, batchSize: options.batchSize })) as Answer[];
    return Array.isArray(input) ? out : out[0];
  }

  /** Trains on examples with answers ({ question, context, answer: { text, start? } }). */
  async fit(examples: readonly QuestionAnsweringExample[], options: Omit<FitOptions<QuestionAnsweringExample>, 'task'> = {}): Promise<History> {
    return fit(this.model, checked(examples, 'QuestionAnswering.fit'), { ...options, task: this.adapter as never });
  }

  /** Loss and start / end token accuracy on examples with answers. */
  async evaluate(examples: readonly QuestionAnsweringExample[], options: { batchSize?: number } = {}): Promise<Logs> {
    return evaluate(this.model, checked(examples, 'QuestionAnswering.evaluate'), { task: this.adapter as never, batchSize: options.batchSize });
  }

  protected override settings(): PipelineSettings {
    return {
      ...super.settings(), padding: this.padding, maxQuestionLength: this.maxQuestionLength, maxAnswerLength: this.maxAnswerLength,
      ...(this.docStride !== undefined ? { docStride: this.docStride } : {}),
    };
  }

  /**
   * By Hub repo id (`google-bert/bert-base-uncased`, `user/repo@revision`), preset, directory or URL;
   * cached (see HubOptions). Any BERT that is not a QA model (a fill-mask preset, a backbone) gets a
   * new, initialised span head on its encoder, as transformers' AutoModelForQuestionAnswering does:
   * fine-tune it (fit) before asking questions.
   */
  static fromPretrained(nameOrPathOrUrl: string, options: HubOptions & { seed?: number; sequenceLength?: number } & { dtype?: ComputeDType } = {}): Promise<QuestionAnswering> {
    return pipelineFromPretrained(nameOrPathOrUrl, options, (files) => {
      const settings = settingsFromFiles(files);
      if (settings.task === 'question-answering') return QuestionAnswering.fromFiles(files);
      const backbone = modelFromFiles(files);
      const model = new BertForQuestionAnswering({ ...backbone.config }, { seed: options.seed });
      try {
        copyBackboneWeights(backbone, model);
        return new QuestionAnswering({ model, tokenizer: tokenizerFromFiles(files), sequenceLength: options.sequenceLength ?? settings.sequenceLength });
      } catch (e) {
        model.dispose();
        throw e;
      } finally {
        backbone.dispose();
      }
    });
  }

  static async load(dir: string): Promise<QuestionAnswering> {
    return QuestionAnswering.fromFiles(await pipelineStorage().load(dir));
  }

  static fromFiles(files: PipelineFiles): QuestionAnswering {
    const s = settingsFromFiles(files, 'question-answering');
    const tokenizer = tokenizerFromFiles(files);
    const model = modelFromFiles(files, { architecture: 'BertForQuestionAnswering' }) as BertForQuestionAnswering;
    const num = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
    try {
      return new QuestionAnswering({
        model, tokenizer, sequenceLength: s.sequenceLength, docStride: num('docStride'), maxQuestionLength: num('maxQuestionLength'),
        maxAnswerLength: num('maxAnswerLength'), padding: s.padding as Padding | undefined,
      });
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
}

function checked(examples: readonly QuestionAnsweringExample[], what: string): Dataset<QuestionAnsweringExample> {
  if (!Array.isArray(examples)) throw new Error(`${what}: expected an array of { question, context, answer } examples`);
  if (examples.length === 0) throw new Error(`${what}: no examples`);
  return Dataset.fromArray(examples);
}
