// predict(): per-example predictions of a task model (class probabilities, fill-mask candidates,
// answer spans), without recording gradients and with dropout off. The host collates batch k+1
// while the GPU runs batch k.
import { noGradAsync } from '../autograd/tape.ts';
import type { BertTaskModel } from '../nn/pretrained.ts';
import { checkBatchSize, taskBatches, toDataset, type Data } from './batches.ts';
import type { Task, TrainBatch } from './task.ts';
import { defaultTask } from './tasks/index.ts';

export interface PredictOptions<E, P> {
  /** How examples become batches and outputs become predictions. Default: the model's task without a tokenizer (host batches only). */
  task?: Task<E, TrainBatch, P, never>;
  /** Default 32. */
  batchSize?: number;
}

/** One prediction per example, in order (the task decides what a prediction holds). */
export async function predict<E, P>(model: BertTaskModel, data: Data<E>, options: PredictOptions<E, P> = {}): Promise<P[]> {
  const task = options.task ?? (defaultTask(model) as unknown as Task<E, TrainBatch, P, never>);
  task.check(model);
  const batchSize = options.batchSize ?? 32;
  checkBatchSize(batchSize, 'predict');
  const out: P[] = [];
  const wasTraining = model.training;
  model.eval();
  let pending: Promise<P[]> | null = null;
  try {
    await noGradAsync(async () => {
      for await (const batch of taskBatches(toDataset(data, 'predict'), task, 'eval', batchSize)) {
        // Launches this batch at once; its download waits behind the previous one.
        const next: Promise<P[]> = task.predict(model as never, batch);
        next.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
        if (pending) out.push(...(await pending));
        pending = next;
      }
      if (pending) out.push(...(await pending));
      pending = null;
    });
  } finally {
    if (pending) await (pending as Promise<P[]>).catch(() => {});
    model.train(wasTraining);
  }
  return out;
}
