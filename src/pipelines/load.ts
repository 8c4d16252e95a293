// A saved pipeline of any task: the class pipeline.json (or config.json's architecture) names.
import { FeatureExtraction } from './feature_extraction.ts';
import { FillMask } from './fill_mask.ts';
import { pipelineStorage, settingsFromFiles, type PipelineFiles } from './files.ts';
import { QuestionAnswering } from './question_answering.ts';
import { TextClassifier } from './text_classifier.ts';

export type AnyPipeline = TextClassifier | FillMask | FeatureExtraction | QuestionAnswering;

export function pipelineFromFiles(files: PipelineFiles): AnyPipeline {
  switch (settingsFromFiles(files).task) {
    case 'text-classification': return TextClassifier.fromFiles(files);
    case 'fill-mask': return FillMask.fromFiles(files);
    case 'question-answering': return QuestionAnswering.fromFiles(files);
    case 'feature-extraction': return FeatureExtraction.fromFiles(files);
    default: throw new Error(`unknown pipeline task in pipeline.json: ${JSON.stringify(settingsFromFiles(files).task)}`);
  }
}

/** Loads a directory written by any pipeline's save() (or a transformers model directory). */
export async function loadPipeline(dir: string): Promise<AnyPipeline> {
  return pipelineFromFiles(await pipelineStorage().load(dir));
}
