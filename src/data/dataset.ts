// A small, lazy, re-iterable dataset: a recipe that yields elements when iterated, so a corpus
// larger than memory is streamed, never loaded whole. Operations return new datasets.
import { Random } from './random.ts';

type Source<T> = () => Iterator<T> | AsyncIterator<T>;

export interface ShuffleOptions {
  seed: number;
  /** Stream shuffle window (TF-style buffer). Default: whole dataset for arrays, 1024 for streams. */
  bufferSize?: number;
  /** New order each iteration (seeded by the iteration count). Default true, like tf.data. */
  reshuffleEachIteration?: boolean;
}

export class Dataset<T> implements AsyncIterable<T> {
  private readonly source: Source<T>;
  /** Number of elements when known without iterating (arrays, and ops that keep it), else undefined. */
  readonly size: number | undefined;
  /** The elements, when the dataset is an in-memory array. */
  private readonly items: readonly T[] | undefined;

  private constructor(source: Source<T>, size: number | undefined, items?: readonly T[]) {
    this.source = source;
    this.size = size;
    this.items = items;
  }

  static fromArray<T>(items: readonly T[]): Dataset<T> {
    return new Dataset(() => items[Symbol.iterator](), items.length, items);
  }

  /**
   * From a (sync or async) iterable, or a function returning a fresh one per iteration.
   * A plain generator object can be iterated only once; pass a function to iterate again.
   */
  static from<T>(source: Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>), size?: number): Dataset<T> {
    if (Array.isArray(source)) return Dataset.fromArray(source as T[]);
    const make = typeof source === 'function' ? source : () => source;
    return new Dataset(() => iteratorOf(make()), size);
  }

  /** Pairs elements of equal-length datasets. */
  static zip<A, B>(a: Dataset<A>, b: Dataset<B>): Dataset<[A, B]> {
    return new Dataset(
      () => {
        const ia = a[Symbol.asyncIterator]();
        const ib = b[Symbol.asyncIterator]();
        return {
          async next(): Promise<IteratorResult<[A, B]>> {
            const [ra, rb] = await Promise.all([ia.next(), ib.next()]);
            if (ra.done || rb.done) return { done: true, value: undefined };
            return { done: false, value: [ra.value, rb.value] };
          },
        };
      },
      a.size !== undefined && b.size !== undefined ? Math.min(a.size, b.size) : undefined,
    );
  }

  /** True when the elements are an array in memory (not a stream or a lazy map). */
  get inMemory(): boolean {
    return this.items !== undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const it = this.source();
    return {
      next: async () => it.next(),
      // Lets `take` and early `break` close upstream generators.
      return: async (value?: unknown) => (it.return ? it.return(value) : { done: true, value }),
    } as AsyncIterator<T>;
  }

  map<U>(fn: (x: T, index: number) => U | Promise<U>): Dataset<U> {
    return new Dataset(async function* (this: Dataset<T>) {
      let i = 0;
      for await (const x of this) yield await fn(x, i++);
    }.bind(this), this.size);
  }

  filter(keep: (x: T, index: number) => boolean | Promise<boolean>): Dataset<T> {
    return new Dataset(async function* (this: Dataset<T>) {
      let i = 0;
      for await (const x of this) if (await keep(x, i++)) yield x;
    }.bind(this), undefined);
  }

  take(n: number): Dataset<T> {
    return new Dataset(async function* (this: Dataset<T>) {
      if (n <= 0) return;
      let i = 0;
      for await (const x of this) {
        yield x;
        if (++i >= n) return;
      }
    }.bind(this), this.size === undefined ? undefined : Math.min(n, this.size));
  }

  skip(n: number): Dataset<T> {
    return new Dataset(async function* (this: Dataset<T>) {
      let i = 0;
      for await (const x of this) if (i++ >= n) yield x;
    }.bind(this), this.size === undefined ? undefined : Math.max(0, this.size - n));
  }

  /** Groups elements into arrays of `n` (the last one smaller unless `dropRemainder`). */
  batch(n: number, options: { dropRemainder?: boolean } = {}): Dataset<T[]> {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`batch size must be a positive integer, got ${n}`);
    const size = this.size === undefined ? undefined : options.dropRemainder ? Math.floor(this.size / n) : Math.ceil(this.size / n);
    return new Dataset(async function* (this: Dataset<T>) {
      let group: T[] = [];
      for await (const x of this) {
        group.push(x);
        if (group.length === n) {
          yield group;
          group = [];
        }
      }
      if (group.length > 0 && !options.dropRemainder) yield group;
    }.bind(this), size);
  }

  /**
   * Seeded shuffle. In-memory arrays (without bufferSize) get a full Fisher-Yates permutation;
   * streams get a buffer shuffle: a window of `bufferSize` elements, one drawn at random each step.
   */
  shuffle(options: ShuffleOptions): Dataset<T> {
    const { seed, reshuffleEachIteration = true } = options;
    let iteration = 0;
    const nextRandom = () => new Random(seed, reshuffleEachIteration ? iteration++ : 0);
    const items = this.items;
    if (items && options.bufferSize === undefined) {
      return new Dataset(() => nextRandom().shuffle(items.slice())[Symbol.iterator](), this.size);
    }
    const bufferSize = options.bufferSize ?? 1024;
    if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new RangeError(`bufferSize must be a positive integer, got ${bufferSize}`);
    return new Dataset(async function* (this: Dataset<T>) {
      const rng = nextRandom();
      const buffer: T[] = [];
      for await (const x of this) {
        if (buffer.length < bufferSize) {
          buffer.push(x);
          continue;
        }
        const j = rng.int(bufferSize);
        yield buffer[j]!;
        buffer[j] = x;
      }
      rng.shuffle(buffer);
      yield* buffer;
    }.bind(this), this.size);
  }

  /** Keeps elements in memory after the first complete iteration (like tf.data's cache()). */
  cache(): Dataset<T> {
    let cached: T[] | undefined;
    return new Dataset(async function* (this: Dataset<T>) {
      if (cached) {
        yield* cached;
        return;
      }
      const filling: T[] = [];
      for await (const x of this) {
        filling.push(x);
        yield x;
      }
      cached = filling;
    }.bind(this), this.size);
  }

  async forEach(fn: (x: T, index: number) => void | Promise<void>): Promise<void> {
    let i = 0;
    for await (const x of this) await fn(x, i++);
  }

  async toArray(): Promise<T[]> {
    if (this.items) return this.items.slice();
    const out: T[] = [];
    for await (const x of this) out.push(x);
    return out;
  }
}

function iteratorOf<T>(iterable: Iterable<T> | AsyncIterable<T>): Iterator<T> | AsyncIterator<T> {
  if (Symbol.asyncIterator in iterable) return (iterable as AsyncIterable<T>)[Symbol.asyncIterator]();
  return (iterable as Iterable<T>)[Symbol.iterator]();
}
