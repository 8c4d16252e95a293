// Raw strings in, answers out: pipelines that hold a model, its tokenizer and its settings.
export { Pipeline, type PipelineOptions } from './pipeline.ts';
export { TextClassifier, type Classification, type NewHeadOptions, type CreateTextClassifierOptions, type TextClassifierFitOptions, type TextClassifierOptions } from './text_classifier.ts';
export { FillMask, type FillMaskCandidate, type FillMaskOptions, type MaskPrediction } from './fill_mask.ts';
export { FeatureExtraction, Matrix, type FeatureOptions, type TextFeatures } from './feature_extraction.ts';
export { QuestionAnswering, type Answer, type QuestionAnsweringOptions } from './question_answering.ts';
export { loadPipeline, pipeline, pipelineFromFiles, type AnyPipeline, type PipelineByTask } from './load.ts';
export { backboneOf, copyBackboneWeights, type CopyReport } from './backbone.ts';
export {
  PIPELINE_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, pipelineFiles, setPipelineStorage, settingsFromFiles, tokenizerConfig, tokenizerFromFiles,
  type PipelineFiles, type PipelineSettings, type PipelineStorage, type PipelineTask,
} from './files.ts';
