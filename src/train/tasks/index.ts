// The three task adapters, and the one a model gets when fit / evaluate / predict are given none.
import { BertClassifier } from '../../nn/classifier.ts';
import { BertForMaskedLM } from '../../nn/masked_lm.ts';
import type { BertTaskModel } from '../../nn/pretrained.ts';
import { BertForQuestionAnswering } from '../../nn/question_answering.ts';
import { classification, type ClassificationTask } from './classification.ts';
import { maskedLM, type MaskedLMTask } from './masked_lm.ts';
import { questionAnswering, type QuestionAnsweringTask } from './question_answering.ts';

export * from './classification.ts';
export * from './masked_lm.ts';
export * from './question_answering.ts';

/**
 * The task of a model's head with default options and no tokenizer: it takes host batches (packed
 * ids and labels); raw text needs a task built with a tokenizer.
 */
export function defaultTask(model: BertTaskModel): ClassificationTask | MaskedLMTask | QuestionAnsweringTask {
  if (model instanceof BertClassifier) return classification();
  if (model instanceof BertForMaskedLM) return maskedLM();
  if (model instanceof BertForQuestionAnswering) return questionAnswering();
  throw new Error(`no training task for ${(model as BertTaskModel).architecture ?? typeof model}: fit, evaluate and predict take a BertClassifier, BertForMaskedLM or BertForQuestionAnswering`);
}
