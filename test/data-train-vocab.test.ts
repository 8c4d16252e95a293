// The WordPiece vocabulary learner: deterministic, reserved tokens first, size honoured, and a
// real subword learner (corpus words tokenize without [UNK]; frequent words become whole tokens).
import { beforeAll, describe, expect, it } from 'vitest';
import { countWords, learnFromWordCounts, trainWordPieceVocab, WordPieceTokenizer } from '../src/data/index.ts';
import { loadBrown } from '../src/data/index.node.ts';

const RESERVED = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

describe('trainWordPieceVocab', () => {
  let texts: string[] = [];
  beforeAll(async () => {
    texts = (await loadBrown().examples.take(120).toArray()).map((e) => e.text);
  });

  it('is deterministic and puts reserved tokens first, then the alphabet and its ## forms', async () => {
    const a = await trainWordPieceVocab(texts, { vocabSize: 3000, reservedTokens: RESERVED });
    const b = await trainWordPieceVocab(
      (async function* () {
        yield* texts;
      })(),
      { vocabSize: 3000, reservedTokens: RESERVED },
    );
    expect(a).toEqual(b);
    expect(a.slice(0, 5)).toEqual(RESERVED);
    expect(a).toHaveLength(3000);
    expect(new Set(a).size).toBe(3000);
    for (const ch of 'etaoin') {
      expect(a).toContain(ch);
      expect(a).toContain(`##${ch}`);
    }
  });

  it('learns subwords: frequent words whole, rarer words in pieces', async () => {
    const vocab = await trainWordPieceVocab(texts, { vocabSize: 3000, reservedTokens: RESERVED });
    for (const w of ['the', 'of', 'and', 'that', 'with']) expect(vocab).toContain(w);
    expect(vocab.some((t) => t.startsWith('##') && t.length > 4)).toBe(true);
    const tok = WordPieceTokenizer.fromVocab(vocab);
    const tokens = tok.encode('the jury said').tokens;
    expect(tokens[0]).toBe('the');
    // Merges are learned in frequency order: a word ranked early is merged before one ranked late.
    expect(vocab.indexOf('the')).toBeLessThan(vocab.indexOf('jury') < 0 ? Infinity : vocab.indexOf('jury'));
  });

  it('every corpus word over the alphabet tokenizes without [UNK]', async () => {
    const options = { vocabSize: 2000, reservedTokens: RESERVED, lowercase: false };
    const vocab = await trainWordPieceVocab(texts, options);
    const tok = WordPieceTokenizer.fromVocab(vocab, { lowercase: false });
    const counts = await countWords(texts, { lowercase: false });
    const alphabet = new Set(vocab.filter((t) => [...t].length === 1));
    let checked = 0;
    for (const word of counts.keys()) {
      if (![...word].every((c) => alphabet.has(c))) continue;
      const e = tok.encode(word);
      expect(e.tokens, word).not.toContain('[UNK]');
      checked++;
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it('honours minFrequency', () => {
    const counts = new Map([['aaab', 5], ['ab', 1], ['xyz', 1]]);
    const few = learnFromWordCounts(counts, { vocabSize: 100, minFrequency: 2 });
    // Only pairs seen at least twice merge: 'aa' / '##aa'... but nothing from 'xyz'.
    expect(few.some((t) => t.includes('xy') || t.includes('yz'))).toBe(false);
    expect(few).toContain('aa');
  });
});
