// MultiSegmentPacker / StartEndPacker: exact outputs on small cases, all truncation modes.
import { describe, expect, it } from 'vitest';
import { MultiSegmentPacker, StartEndPacker, truncatedLengths } from '../src/data/index.ts';

const CLS = 101;
const SEP = 102;

describe('truncatedLengths', () => {
  it('round_robin hands out one token per segment in turn', () => {
    expect(truncatedLengths([3, 3], 3, 'round_robin')).toEqual([2, 1]);
    expect(truncatedLengths([1, 4], 3, 'round_robin')).toEqual([1, 2]);
    expect(truncatedLengths([10, 2, 10], 7, 'round_robin')).toEqual([3, 2, 2]);
  });
  it('waterfall fills earlier segments first', () => {
    expect(truncatedLengths([3, 3], 4, 'waterfall')).toEqual([3, 1]);
    expect(truncatedLengths([5, 3], 4, 'waterfall')).toEqual([4, 0]);
  });
  it('longest_first removes from the longest, the later one on ties (HF)', () => {
    expect(truncatedLengths([5, 3], 6, 'longest_first')).toEqual([3, 3]);
    expect(truncatedLengths([4, 4], 7, 'longest_first')).toEqual([4, 3]);
    expect(truncatedLengths([4, 4], 6, 'longest_first')).toEqual([3, 3]);
  });
  it('leaves short inputs alone', () => {
    expect(truncatedLengths([2, 1], 5, 'waterfall')).toEqual([2, 1]);
  });
});

describe('MultiSegmentPacker', () => {
  it('packs one segment: [CLS] A [SEP] + padding', () => {
    const p = new MultiSegmentPacker({ sequenceLength: 6, startValue: CLS, endValue: SEP });
    const out = p.pack([[1, 2]]);
    expect([...out.tokenIds]).toEqual([CLS, 1, 2, SEP, 0, 0]);
    expect([...out.segmentIds]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...out.paddingMask]).toEqual([1, 1, 1, 1, 0, 0]);
  });

  it('packs pairs with segment ids and round-robin truncation', () => {
    const p = new MultiSegmentPacker({ sequenceLength: 8, startValue: CLS, endValue: SEP });
    const out = p.pack([[1, 2, 3, 4], [5, 6, 7]]);
    // budget 8 - 3 = 5: A gets 3, B gets 2
    expect([...out.tokenIds]).toEqual([CLS, 1, 2, 3, SEP, 5, 6, SEP]);
    expect([...out.segmentIds]).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    expect([...out.paddingMask]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('waterfall truncation and a distinct sep value', () => {
    const p = new MultiSegmentPacker({ sequenceLength: 8, startValue: 1, endValue: 2, sepValue: 3, truncate: 'waterfall', padValue: 9 });
    const out = p.packBatch([
      [[10, 11, 12, 13], [20, 21, 22]],
      [[10], [20]],
    ]);
    expect([...out.tokenIds]).toEqual([1, 10, 11, 12, 13, 3, 20, 2, 1, 10, 3, 20, 2, 9, 9, 9]);
    expect([...out.segmentIds]).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0]);
    expect(out.batchSize).toBe(2);
    expect(out.tokenIds).toBeInstanceOf(Int32Array);
  });

  it('refuses a length that cannot hold the special tokens', () => {
    const p = new MultiSegmentPacker({ sequenceLength: 2, startValue: CLS, endValue: SEP });
    expect(() => p.pack([[1], [2]])).toThrow(RangeError);
  });
});

describe('StartEndPacker', () => {
  it('adds start/end, truncates and pads', () => {
    const p = new StartEndPacker({ sequenceLength: 5, startValue: 1, endValue: 2, padValue: 0 });
    const out = p.packBatch([[7, 8], [7, 8, 9, 10, 11]]);
    expect([...out.tokenIds]).toEqual([1, 7, 8, 2, 0, 1, 7, 8, 9, 2]);
    expect([...out.paddingMask]).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 1, 1]);
  });

  it('works without start/end tokens', () => {
    const p = new StartEndPacker({ sequenceLength: 3, padValue: 5 });
    expect([...p.pack([1]).tokenIds]).toEqual([1, 5, 5]);
  });
});
