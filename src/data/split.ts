// Seeded train/test splits. In-memory data: shuffle once, cut at the fraction (exact sizes).
// Streams: each element's side is drawn from the seed and its position (sizes near the fraction),
// so both halves can be iterated independently without holding anything in memory.
import { Dataset } from './dataset.ts';
import { Random } from './random.ts';

export interface SplitOptions {
  /** Fraction of elements in `test`, in [0, 1]. */
  testFraction: number;
  seed: number;
  /** Shuffle before cutting (arrays only; default true). When false, the last elements are the test set. */
  shuffle?: boolean;
}

export function trainTestSplit<T>(data: readonly T[], options: SplitOptions): { train: T[]; test: T[] } {
  checkFraction(options.testFraction);
  const order = data.slice();
  if (options.shuffle ?? true) new Random(options.seed).shuffle(order);
  const nTest = Math.floor(order.length * options.testFraction);
  return { train: order.slice(0, order.length - nTest), test: order.slice(order.length - nTest) };
}

/** Splits a dataset: exact for in-memory arrays, streaming (nothing read up front) otherwise. */
export async function splitDataset<T>(
  data: Dataset<T>,
  options: SplitOptions,
): Promise<{ train: Dataset<T>; test: Dataset<T> }> {
  checkFraction(options.testFraction);
  if (data.inMemory) {
    const { train, test } = trainTestSplit(await data.toArray(), options);
    return { train: Dataset.fromArray(train), test: Dataset.fromArray(test) };
  }
  return splitByFraction(data, options);
}

/** Streaming split: element i goes to `test` when a seeded draw for i falls under the fraction. */
export function splitByFraction<T>(data: Dataset<T>, options: SplitOptions): { train: Dataset<T>; test: Dataset<T> } {
  checkFraction(options.testFraction);
  const isTest = (i: number) => new Random(options.seed, i).next() < options.testFraction;
  return {
    train: data.filter((_, i) => !isTest(i)),
    test: data.filter((_, i) => isTest(i)),
  };
}

function checkFraction(f: number): void {
  if (!(f >= 0 && f <= 1)) throw new RangeError(`testFraction must be in [0, 1], got ${f}`);
}
