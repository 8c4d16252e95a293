// Modules and models. Every forward here is built from the differentiable ops in src/autograd
// and gets its gradient from them.
export { Module, ModuleList, Parameter, type ParameterOptions } from './module.ts';
export { Generator, type GeneratorState } from './random.ts';
export { BERT_DEFAULTS, BERT_SIZES, bertConfig, labelMaps, numLabels, parseConfig, validateConfig } from './config.ts';
export type { BertConfig, HiddenAct, VocabSource } from './config.ts';
export { Dropout, Embedding, LayerNorm, Linear, type InitOptions } from './layers.ts';
export { MultiHeadAttention, TransformerEncoderLayer } from './transformer.ts';
export { BertBackbone, BertEmbeddings, type BertForwardOptions, type BertInputs, type BertOutput } from './bert.ts';
export { BertModel, BertTaskModel, type BertArchitecture, type BertPretrained, type ModelOptions } from './pretrained.ts';
export { BertForMaskedLM, MaskedLMHead, type MaskedLMInputs, type MaskedLMOutput } from './masked_lm.ts';
export { BertClassifier, type ClassifierInputs, type ClassifierOptions, type ClassifierOutput, type Pooling } from './classifier.ts';
export { BertForQuestionAnswering, type PredictSpanOptions, type QuestionAnsweringInputs, type QuestionAnsweringOutput } from './question_answering.ts';
export { bestSpans, contextTokens, type Span, type SpanOptions } from './spans.ts';
export { bertInputs, maskedLMInputs, type HostBatch, type HostMasks } from './inputs.ts';
export { resolveDType, type ComputeDType } from './compute-dtype.ts';
