// A saved pipeline of any task: the class pipeline.json (or config.json's architecture) names.
import type { ComputeDType } from '../nn/compute-dtype.ts';
import { FeatureExtraction } from './feature_extraction.ts';
import { FillMask } from './fill_mask.ts';
import { pipelineStorage, settingsFromFiles, type PipelineFiles } from './files.ts';
import { QuestionAnswering } from './question_answering.ts';
import { TextClassifier } from './text_classifier.ts';
import type { HubOptions } from '../hub/pretrained.ts';
import type { PipelineTask } from './files.ts';

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

/** The pipeline class of each task. */
export interface PipelineByTask {
  'fill-mask': FillMask;
  'text-classification': TextClassifier;
  'feature-extraction': FeatureExtraction;
  'question-answering': QuestionAnswering;
}

const TASKS = { 'fill-mask': FillMask, 'text-classification': TextClassifier, 'feature-extraction': FeatureExtraction, 'question-answering': QuestionAnswering } as const;

/**
 * One line from a model name to a pipeline, as transformers' `pipeline(task, model)`:
 * `await pipeline('fill-mask', 'google-bert/bert-base-uncased')`. `model` is a Hub repo id
 * (`user/repo@revision`), a directory or a URL; files are cached (see HubOptions).
 */
export function pipeline<T extends PipelineTask>(task: T, model: string, options: HubOptions & { dtype?: ComputeDType } = {}): Promise<PipelineByTask[T]> {
  const cls = Object.hasOwn(TASKS, task) ? TASKS[task] : undefined;
  if (!cls) return Promise.reject(new Error(`pipeline: unknown task ${JSON.stringify(task)}; expected one of ${Object.keys(TASKS).map((t) => `'${t}'`).join(', ')}`));
  if (typeof model !== 'string') return Promise.reject(new Error(`pipeline('${task}'): expected a model name, directory or URL as the second argument, got ${typeof model}`));
  return cls.fromPretrained(model, options) as Promise<PipelineByTask[T]>;
}
