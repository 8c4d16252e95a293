// Extractive question answering (HF BertForQuestionAnswering): a dense layer to two logits per
// token, the answer's start and end, and span extraction over them (spans.ts).
import { castTo } from '../autograd/cast.ts';
import type { FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { tidy } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { add, scale } from '../autograd/elementwise.ts';
import { gatherRows } from '../autograd/embedding.ts';
import { crossEntropy } from '../autograd/loss.ts';
import { permute, reshape } from '../autograd/shape.ts';
import { noGrad } from '../autograd/tape.ts';
import type { BertForwardOptions, BertInputs } from './bert.ts';
import type { BertConfig } from './config.ts';
import { ConstantCache } from './constants.ts';
import { Linear } from './layers.ts';
import { BertTaskModel, resolveConfig, type ModelOptions } from './pretrained.ts';
import { bestSpans, contextTokens, type Span, type SpanOptions } from './spans.ts';
import type { FromPretrainedOptions } from '../hub/pretrained.ts';
import { loadPretrained } from './from-pretrained.ts';

export interface QuestionAnsweringInputs extends BertInputs {
  /** (B) i32 index of each answer's first token; the sequence length S marks "no label" (HF's ignored index). */
  startPositions?: Tensor;
  /** (B) i32 index of each answer's last token. */
  endPositions?: Tensor;
}

export interface QuestionAnsweringOutput {
  /** (B, S) */
  startLogits: Tensor<FloatDType>;
  /** (B, S) */
  endLogits: Tensor<FloatDType>;
  /** (start cross-entropy + end cross-entropy) / 2 (shape []), when positions are given. */
  loss?: Tensor<FloatDType>;
  hiddenStates?: Tensor<FloatDType>[];
}

export interface PredictSpanOptions extends Omit<SpanOptions, 'allowed'> {
  /** Token ids never part of an answer (e.g. [SEP]); answers come from segment 1 (the context). */
  excludeIds?: readonly number[];
}

export class BertForQuestionAnswering extends BertTaskModel {
  /** Loads a question-answering model by Hub repo id (`google-bert/bert-base-uncased`, `user/repo@revision`), directory or URL. */
  static fromPretrained(nameOrPathOrUrl: string, options: FromPretrainedOptions = {}): Promise<BertForQuestionAnswering> {
    return loadPretrained<BertForQuestionAnswering>(nameOrPathOrUrl, options, 'BertForQuestionAnswering');
  }

  readonly architecture = 'BertForQuestionAnswering';
  readonly qaOutputs: Linear;
  private readonly constants = new ConstantCache();

  constructor(config: BertConfig | string, options: ModelOptions = {}) {
    super(resolveConfig(config), options, false);
    this.qaOutputs = this.child('qa_outputs', new Linear(this.config.hidden_size, 2, this.init));
  }

  forward(inputs: QuestionAnsweringInputs, options: BertForwardOptions = {}): QuestionAnsweringOutput {
    const { startPositions, endPositions } = inputs;
    const [batch, seq] = inputs.inputIds.shape;
    if (!startPositions !== !endPositions) throw new OpError('BertForQuestionAnswering', 'give both startPositions and endPositions, or neither');
    for (const p of [startPositions, endPositions]) {
      if (p && (p.rank !== 1 || p.shape[0] !== batch)) {
        throw new OpError('BertForQuestionAnswering', `answer positions must be (batch) = [${batch}], got ${shapeStr(p.shape)}`);
      }
    }
    return tidy(() => {
      const { sequenceOutput, hiddenStates } = this.bert.forward(inputs, options);
      // (B, S, 2) -> (B, 2, S); row 0 of each batch entry is the start logits, row 1 the end logits.
      // (Logits in f32 whatever the backbone's dtype: permute moves 32-bit words.)
      const both = permute(castTo(this.qaOutputs.forward(sequenceOutput), 'f32'), [0, 2, 1]);
      const row = (r: number) => reshape(gatherRows(both, this.constants.get(`row${r}`, [batch, 1], () => r)), [batch, seq]);
      const out: QuestionAnsweringOutput = { startLogits: row(0), endLogits: row(1), ...(hiddenStates ? { hiddenStates } : {}) };
      if (startPositions && endPositions) {
        const ignoreIndex = seq;
        // A position equal to the sequence length marks a window without the answer (transformers'
        // ignored index; it clamps larger ones to it silently, here they are an error).
        const names = (input: string) => ({ input, classes: 'token positions of the sequence' });
        const startLoss = crossEntropy(out.startLogits, startPositions, { ignoreIndex, names: names('startPositions') });
        const endLoss = crossEntropy(out.endLogits, endPositions, { ignoreIndex, names: names('endPositions') });
        out.loss = scale(add(startLoss, endLoss), 0.5);
      }
      return out;
    });
  }

  /**
   * Runs the model (without recording) and returns, per batch entry, the best answer spans inside
   * the context: segment-1 tokens that are not padding nor one of `excludeIds`.
   */
  async predictSpans(inputs: BertInputs, options: PredictSpanOptions = {}): Promise<Span[][]> {
    const { inputIds, attentionMask, tokenTypeIds } = inputs;
    if (!tokenTypeIds) throw new OpError('predictSpans', 'tokenTypeIds are needed to tell the question (0) from the context (1)');
    const [batch, seq] = inputIds.shape;
    const out = noGrad(() => this.forward(inputs));
    const [start, end, types, mask, ids] = await Promise.all([
      out.startLogits.data(), out.endLogits.data(), tokenTypeIds.data(), attentionMask?.data(), inputIds.data(),
    ]);
    out.startLogits.dispose();
    out.endLogits.dispose();
    const result: Span[][] = [];
    for (let b = 0; b < batch; b++) {
      const row = (a: ArrayLike<number>) => Array.prototype.slice.call(a, b * seq, (b + 1) * seq) as number[];
      const allowed = contextTokens(row(types), mask && row(mask), row(ids), options.excludeIds);
      result.push(bestSpans(row(start), row(end), { ...options, allowed }));
    }
    return result;
  }

  protected override disposeOwn(): void {
    this.constants.dispose();
  }
}
