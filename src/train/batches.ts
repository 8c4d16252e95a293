// One pass over a dataset as task batches: examples are grouped by batchSize and collated by the
// task (tokenized, packed, masked); elements that are already host batches go through as they are.
import { Dataset } from '../data/dataset.ts';
import type { Task, TrainBatch } from './task.ts';

/** Training or evaluation data: an array or a (lazy, re-iterable) Dataset of examples or host batches. */
export type Data<E> = Dataset<E> | readonly E[];

export function toDataset<E>(data: Data<E>, what: string): Dataset<E> {
  if (data instanceof Dataset) return data;
  if (Array.isArray(data)) return Dataset.fromArray(data as readonly E[]);
  throw new Error(`${what}: expected an array or a Dataset, got ${data === null ? 'null' : typeof data}`);
}

export function checkBatchSize(batchSize: number, what: string): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${what}: batchSize must be a positive integer, got ${batchSize}`);
}

export async function* taskBatches<E, B extends TrainBatch>(
  data: Dataset<E>, task: Task<E, B, unknown, never>, mode: 'train' | 'eval', batchSize: number,
): AsyncGenerator<B> {
  const collate = task.collator(mode);
  let group: E[] = [];
  for await (const x of data) {
    if (task.isBatch(x)) {
      if (group.length) yield collate(group);
      group = [];
      yield task.fromBatch(x, mode);
      continue;
    }
    group.push(x);
    if (group.length === batchSize) {
      yield collate(group);
      group = [];
    }
  }
  if (group.length) yield collate(group);
}

/** Number of batches a pass yields, when the dataset knows its size (host batches count one each). */
export async function batchesPerPass<E>(data: Dataset<E>, task: { isBatch(x: unknown): boolean }, batchSize: number): Promise<number | undefined> {
  if (data.size === undefined) return undefined;
  if (data.size === 0) return 0;
  // Peek at the first element: host batches are one step each, examples group by batchSize.
  for await (const first of data) return task.isBatch(first) ? data.size : Math.ceil(data.size / batchSize);
  return 0;
}
