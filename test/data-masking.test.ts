// MaskedLMMaskGenerator: rates within statistical bounds, unselectable ids never chosen,
// reproducible from a seed, fixed-length outputs padded with weight 0.
import { describe, expect, it } from 'vitest';
import { MaskedLMMaskGenerator, Random } from '../src/data/index.ts';

const VOCAB = 1000;
const MASK = 4;
const L = 128;

function batch(rows: number, seed = 1): Int32Array {
  // [CLS]=2 ... [SEP]=3 then [PAD]=0 for a random tail, ordinary ids from 10 upwards.
  const rng = new Random(seed);
  const ids = new Int32Array(rows * L);
  for (let b = 0; b < rows; b++) {
    const len = 20 + rng.int(L - 20);
    ids[b * L] = 2;
    for (let i = 1; i < len - 1; i++) ids[b * L + i] = 10 + rng.int(VOCAB - 10);
    ids[b * L + len - 1] = 3;
  }
  return ids;
}

function generator(extra = {}) {
  return new MaskedLMMaskGenerator({
    vocabularySize: VOCAB, maskTokenId: MASK, maskSelectionRate: 0.15, maskSelectionLength: 24,
    unselectableTokenIds: [0, 2, 3], seed: 7, ...extra,
  });
}

describe('MaskedLMMaskGenerator', () => {
  it('selects 15% of selectable tokens and splits them 80/10/10 (within 4 sigma)', () => {
    const ids = batch(400);
    const out = generator().generate(ids, L);
    let selectable = 0, selected = 0, masked = 0, kept = 0;
    for (let k = 0; k < ids.length; k++) {
      if (ids[k] !== 0 && ids[k] !== 2 && ids[k] !== 3) selectable++;
      if (out.sampleWeights[k] === 1) {
        selected++;
        if (out.tokenIds[k] === MASK) masked++;
        else if (out.tokenIds[k] === ids[k]) kept++;
      }
    }
    expect(Math.abs(selected / selectable - 0.15)).toBeLessThan(0.01);
    const sigma = (p: number) => 4 * Math.sqrt((p * (1 - p)) / selected);
    expect(Math.abs(masked / selected - 0.8)).toBeLessThan(sigma(0.8));
    // kept: 10% left alone, plus random draws that hit the original id (1/1000 of 10%).
    expect(Math.abs(kept / selected - 0.1)).toBeLessThan(sigma(0.1));
  });

  it('never selects unselectable ids and fills fixed-length outputs, padded with weight 0', () => {
    const ids = batch(50);
    const out = generator().generate(ids, L);
    expect(out.maskPositions).toHaveLength(50 * 24);
    for (let b = 0; b < 50; b++) {
      let prev = -1;
      for (let j = 0; j < 24; j++) {
        const pos = out.maskPositions[b * 24 + j]!;
        if (out.maskWeights[b * 24 + j] === 1) {
          expect([0, 2, 3]).not.toContain(ids[b * L + pos]);
          expect(pos).toBeGreaterThan(prev);
          expect(out.maskIds[b * 24 + j]).toBe(ids[b * L + pos]);
          expect(out.labels[b * L + pos]).toBe(ids[b * L + pos]);
          prev = pos;
        } else {
          expect(pos).toBe(0);
          expect(out.maskIds[b * 24 + j]).toBe(0);
        }
      }
    }
    for (let k = 0; k < ids.length; k++) if (out.sampleWeights[k] === 0) {
      expect(out.labels[k]).toBe(-100);
      expect(out.tokenIds[k]).toBe(ids[k]);
    }
  });

  it('caps selections at maskSelectionLength', () => {
    const ids = batch(20);
    const out = generator({ maskSelectionRate: 0.9, maskSelectionLength: 5 }).generate(ids, L);
    for (let b = 0; b < 20; b++) expect(out.sampleWeights.subarray(b * L, (b + 1) * L).reduce((a, x) => a + x, 0)).toBe(5);
  });

  it('is reproducible from the seed and differs for another seed', () => {
    const ids = batch(10);
    const a = generator().generate(ids, L);
    const b = generator().generate(ids, L);
    const c = generator({ seed: 8 }).generate(ids, L);
    expect([...a.tokenIds]).toEqual([...b.tokenIds]);
    expect([...a.maskPositions]).toEqual([...b.maskPositions]);
    expect([...a.maskPositions]).not.toEqual([...c.maskPositions]);
  });

  it("seed 000's recipe: Bernoulli selection, per-token labels, random ids from [3, mask)", () => {
    const ids = batch(300);
    const g = generator({ selection: 'bernoulli', maskSelectionLength: undefined, randomTokenRange: [10, 20], maskTokenRate: 0.8, randomTokenRate: 0.1 });
    const out = g.generate(ids, L);
    expect(out.maskPositions).toHaveLength(0);
    let selectable = 0, selected = 0;
    for (let k = 0; k < ids.length; k++) {
      if (![0, 2, 3].includes(ids[k]!)) selectable++;
      if (out.sampleWeights[k] === 1) {
        selected++;
        const t = out.tokenIds[k]!;
        expect(t === MASK || t === ids[k] || (t >= 10 && t < 20)).toBe(true);
      }
    }
    expect(Math.abs(selected / selectable - 0.15)).toBeLessThan(4 * Math.sqrt((0.15 * 0.85) / selectable));
  });
});
