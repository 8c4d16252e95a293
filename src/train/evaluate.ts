// evaluate(): the loss and metrics of a model on labelled data, without recording gradients
// and with dropout off. Everything accumulates on the GPU; one read at the end.
import { noGradAsync } from '../autograd/tape.ts';
import { engine, tidy } from '../gpu/runtime.ts';
import type { BertTaskModel } from '../nn/pretrained.ts';
import { checkBatchSize, taskBatches, toDataset, type Data } from './batches.ts';
import type { Logs } from './history.ts';
import { MetricSet, type MetricSpec } from './metrics.ts';
import type { Task, TrainBatch } from './task.ts';
import { defaultTask } from './tasks/index.ts';

export interface EvaluateOptions<E> {
  /** How examples become batches, loss and metrics. Default: the model's task with no tokenizer (host batches only). */
  task?: Task<E, TrainBatch, unknown, never>;
  /** Default 32. */
  batchSize?: number;
  /** Default ['accuracy']. */
  metrics?: readonly MetricSpec[];
}

/** Runs one evaluation pass into `metrics` (already reset); returns the batches seen. Leaves the model's mode as it found it. */
export async function evaluationPass<E>(
  model: BertTaskModel, task: Task<E, TrainBatch, unknown, never>, data: Data<E>, batchSize: number, metrics: MetricSet,
): Promise<number> {
  const wasTraining = model.training;
  model.eval();
  let steps = 0;
  try {
    await noGradAsync(async () => {
      for await (const batch of taskBatches(toDataset(data, 'evaluate'), task, 'eval', batchSize)) {
        tidy(() => metrics.update(task.forward(model as never, batch), batch));
        steps++;
        // Bound how far the host runs ahead of the GPU: submit each batch as it is recorded.
        engine().flush();
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return steps;
}

/** The loss and metrics over labelled data: { loss, accuracy, ... }. */
export async function evaluate<E>(model: BertTaskModel, data: Data<E>, options: EvaluateOptions<E> = {}): Promise<Logs> {
  const task = options.task ?? (defaultTask(model) as unknown as Task<E, TrainBatch, unknown, never>);
  task.check(model);
  const batchSize = options.batchSize ?? 32;
  checkBatchSize(batchSize, 'evaluate');
  const metrics = new MetricSet(options.metrics ?? ['accuracy']);
  try {
    const steps = await evaluationPass(model, task, data, batchSize, metrics);
    if (steps === 0) throw new Error('evaluate: the data is empty');
    return (await metrics.read()).total;
  } finally {
    metrics.dispose();
  }
}
