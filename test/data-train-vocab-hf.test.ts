// The WordPiece trainer against HF's: the same vocabulary as a set, within HF's own run-to-run spread.
// The reference is HF's trainer on Moby-Dick at 8000 tokens (fixtures/wordpiece/make-hf-reference.ts
// writes it; its header gives the spread of 10 HF runs, pairwise Jaccard 0.9983-1.0).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { countWords, learnFromWordCounts, trainWordPieceVocab, WORDPIECE_TRAINER_DEFAULTS } from '../src/data/index.ts';
import { loadMobyDick } from '../src/data/index.node.ts';

const HF_SETTINGS = { vocabSize: 8000, minFrequency: 0, limitAlphabet: Infinity, reservedTokens: [] };
const jaccard = (a: Set<string>, b: Set<string>) => [...a].filter((t) => b.has(t)).length / new Set([...a, ...b]).size;

describe('trainWordPieceVocab compared with HF', () => {
  let texts: string[] = [];
  let reference: string[] = [];
  let ours: string[] = [];
  beforeAll(async () => {
    texts = (await loadMobyDick().examples.toArray()).map((e) => e.text);
    reference = readFileSync(new URL('./fixtures/wordpiece/hf-moby-8000.txt', import.meta.url), 'utf8').split('\n').filter((t) => t !== '');
    ours = await trainWordPieceVocab(texts, HF_SETTINGS);
  });

  it('learns the same vocabulary as a set, as close as two HF runs are', () => {
    expect(reference).toHaveLength(8000);
    expect(ours).toHaveLength(8000);
    // HF's lowest pairwise Jaccard over 10 runs was 0.9983 (ties broken by hash order).
    expect(jaccard(new Set(ours), new Set(reference))).toBeGreaterThanOrEqual(0.998);
  });

  it('has exactly HF alphabet: the characters, and ## forms only of characters seen inside a word', async () => {
    const single = (v: string[]) => new Set(v.filter((t) => [...t].length === 1));
    const continuing = (v: string[]) => new Set(v.filter((t) => t.startsWith('##') && [...t].length === 3));
    expect(single(ours)).toEqual(single(reference));
    expect(continuing(ours)).toEqual(continuing(reference));
    const inside = new Set<string>();
    for (const w of (await countWords(texts)).keys()) for (const ch of [...w].slice(1)) inside.add(ch);
    for (const t of continuing(ours)) expect(inside.has(t.slice(2)), t).toBe(true);
    for (const punct of ['##!', '##"', '##.', '##,', '##?']) expect(ours).not.toContain(punct);
  });

  it('merges in HF order: the frequent merges first, in the same ranks', () => {
    // The first merges have no ties in this corpus, so their order is HF's exactly.
    const firstMerges = (v: string[]) => v.filter((t) => [...t.replace(/^##/, '')].length > 1).slice(0, 200);
    expect(firstMerges(ours)).toEqual(firstMerges(reference));
  });
});

describe('trainWordPieceVocab defaults and edge cases', () => {
  it("defaults are BertWordPieceTokenizer.train's", () => {
    expect(WORDPIECE_TRAINER_DEFAULTS).toEqual({
      vocabSize: 30000,
      reservedTokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
      minFrequency: 2,
      limitAlphabet: 1000,
      continuingSubwordPrefix: '##',
    });
    const v = learnFromWordCounts(new Map([['hello', 3], ['help', 2], ['yellow', 1]]));
    expect(v.slice(0, 5)).toEqual(WORDPIECE_TRAINER_DEFAULTS.reservedTokens);
    // minFrequency 2: 'yellow' alone never merges its rare pairs ('##w' + ... seen once).
    expect(v).toContain('hel');
    expect(v).not.toContain('##ow');
  });

  it('drops characters outside the alphabet from a word, as HF does (the next one becomes ##)', () => {
    // limitAlphabet 2 keeps 'a' and 'b'; 'xab' is then read as ##a ##b, 'axb' as a ##b.
    const counts = new Map([['ab', 9], ['xab', 4], ['axb', 3]]);
    const v = learnFromWordCounts(counts, { limitAlphabet: 2, minFrequency: 1, reservedTokens: [], vocabSize: 100 });
    expect(v.slice(0, 4)).toEqual(['a', 'b', '##b', '##a']);
    expect(v).toContain('ab'); // a + ##b: 9 + 3
    expect(v).toContain('##ab'); // ##a + ##b: 4
    expect(v).not.toContain('x');
  });

  it('never exceeds vocabSize, keeping the most frequent characters and their ## forms', () => {
    const counts = new Map([['aaab', 5], ['ab', 1], ['xyz', 1]]);
    const tiny = learnFromWordCounts(counts, { vocabSize: 7, reservedTokens: ['[UNK]'] });
    // a, b, x and ##a, ##b fit in 6; adding y would need y and ##y.
    expect(tiny).toEqual(['[UNK]', 'a', 'b', 'x', '##b', '##a', 'aa']); // ## forms: in more words first
    expect(() => learnFromWordCounts(counts, { vocabSize: 0 })).toThrow(/vocabSize must be a positive integer, got 0/);
  });
});
