// Dataset ops, seeded shuffles and splits, and the PRNG.
import { describe, expect, it } from 'vitest';
import { Dataset, Random, splitByFraction, splitDataset, trainTestSplit } from '../src/data/index.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('Random', () => {
  it('is reproducible and has known first outputs (same on every platform)', () => {
    const a = new Random(42);
    const first = [a.nextUint32(), a.nextUint32(), a.nextUint32()];
    const b = new Random(42);
    expect([b.nextUint32(), b.nextUint32(), b.nextUint32()]).toEqual(first);
    expect(first).toMatchInlineSnapshot(`
      [
        2837322924,
        544945897,
        479756282,
      ]
    `);
    expect(new Random(43).nextUint32()).not.toBe(first[0]);
  });

  it('int(n) is uniform enough and within range', () => {
    const r = new Random(1);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[r.int(10)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });
});

describe('Dataset', () => {
  it('maps, filters, skips, takes and batches (with and without remainder)', async () => {
    const ds = Dataset.fromArray(range(10)).map((x) => x * 2).filter((x) => x % 3 !== 0).skip(1).take(4);
    expect(await ds.toArray()).toEqual([4, 8, 10, 14]);
    const b = Dataset.fromArray(range(7)).batch(3);
    expect(b.size).toBe(3);
    expect(await b.toArray()).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const d = Dataset.fromArray(range(7)).batch(3, { dropRemainder: true });
    expect(d.size).toBe(2);
    expect(await d.toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
  });

  it('shuffles deterministically from a seed, a new order each epoch, a permutation each time', async () => {
    const ds = Dataset.fromArray(range(50)).shuffle({ seed: 3 });
    const e1 = await ds.toArray().then(() => ds.toArray()); // toArray of a shuffled dataset iterates
    const again = Dataset.fromArray(range(50)).shuffle({ seed: 3 });
    await again.toArray();
    expect(await again.toArray()).toEqual(e1);
    const fresh = await Dataset.fromArray(range(50)).shuffle({ seed: 3 }).toArray();
    expect(fresh).not.toEqual(e1);
    expect([...fresh].sort((a, b) => a - b)).toEqual(range(50));
    expect(fresh).not.toEqual(range(50));
    const fixed = Dataset.fromArray(range(50)).shuffle({ seed: 3, reshuffleEachIteration: false });
    expect(await fixed.toArray()).toEqual(await fixed.toArray());
  });

  it('buffer-shuffles a stream, keeping every element once', async () => {
    const stream = Dataset.from(function* () {
      yield* range(100);
    });
    const out = await stream.shuffle({ seed: 1, bufferSize: 10 }).toArray();
    expect([...out].sort((a, b) => a - b)).toEqual(range(100));
    expect(out).not.toEqual(range(100));
    // A window of 10 cannot move an element more than ~10 places earlier.
    out.forEach((x, i) => expect(x).toBeLessThanOrEqual(i + 10));
  });

  it('streams: nothing is read ahead of what is consumed', async () => {
    let produced = 0;
    const ds = Dataset.from(function* () {
      for (let i = 0; i < 1_000_000; i++) {
        produced++;
        yield i;
      }
    });
    const first = await ds.map((x) => x + 1).batch(4).take(2).toArray();
    expect(first).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
    expect(produced).toBeLessThanOrEqual(9);
  });

  it('zips and caches', async () => {
    let reads = 0;
    const texts = Dataset.fromArray(['a', 'b', 'c']).map((t) => {
      reads++;
      return t;
    }).cache();
    const pairs = Dataset.zip(texts, Dataset.fromArray([0, 1, 1]));
    expect(await pairs.toArray()).toEqual([['a', 0], ['b', 1], ['c', 1]]);
    await texts.toArray();
    expect(reads).toBe(3);
  });
});

describe('splits', () => {
  it('trainTestSplit: exact sizes, disjoint, seeded', () => {
    const { train, test } = trainTestSplit(range(100), { testFraction: 0.2, seed: 5 });
    expect(train).toHaveLength(80);
    expect(test).toHaveLength(20);
    expect(new Set([...train, ...test]).size).toBe(100);
    expect(trainTestSplit(range(100), { testFraction: 0.2, seed: 5 }).test).toEqual(test);
    expect(trainTestSplit(range(100), { testFraction: 0.2, seed: 6 }).test).not.toEqual(test);
    expect(trainTestSplit(range(10), { testFraction: 0.3, seed: 0, shuffle: false }).test).toEqual([7, 8, 9]);
  });

  it('splitByFraction on a stream: disjoint, covering, near the fraction', async () => {
    const ds = Dataset.from(() => range(2000)[Symbol.iterator]());
    const { train, test } = splitByFraction(ds, { testFraction: 0.25, seed: 9 });
    const a = await train.toArray();
    const b = await test.toArray();
    expect(a.length + b.length).toBe(2000);
    expect(new Set([...a, ...b]).size).toBe(2000);
    expect(Math.abs(b.length / 2000 - 0.25)).toBeLessThan(0.04);
    const inMemory = await splitDataset(Dataset.fromArray(range(10)), { testFraction: 0.5, seed: 1 });
    expect(inMemory.test.size).toBe(5);
  });
});
