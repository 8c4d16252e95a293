// WordVectorizer: Keras TextVectorization semantics as seed 000 uses them.
import { describe, expect, it } from 'vitest';
import { TF_STRIP_PUNCTUATION, WordVectorizer } from '../src/data/index.ts';

describe('WordVectorizer', () => {
  it('standardizes: lowercase, <br /> to space, strip TF punctuation', async () => {
    const v = await WordVectorizer.adapt([''], { maxTokens: 10, outputSequenceLength: 4 });
    expect(v.standardize('Great film!<br /><br />It\'s "GOOD", (really) [x] a-b_c')).toBe('great film  its good really x abc');
    expect(v.split(' Hello,\tworld \n ')).toEqual(['hello', 'world']);
    expect(TF_STRIP_PUNCTUATION).toContain('"');
  });

  it('keeps characters outside the strip set (seed 000 keeps [ and ])', async () => {
    const v = await WordVectorizer.adapt([''], { maxTokens: 10, outputSequenceLength: 4, stripCharacters: "!#$%&'()*+,-./:;<=>?@\\^_`{|}~" });
    expect(v.standardize('[MASK] "quoted"')).toBe('[mask] "quoted"');
  });

  it('orders the vocabulary by count, ties by the larger string first (Keras), then appends specials', async () => {
    const texts = ['b a c a', 'c d b a', 'e'];
    // counts: a 3, b 2, c 2, d 1, e 1
    const v = await WordVectorizer.adapt(texts, { maxTokens: 7, outputSequenceLength: 5, specialTokens: ['[mask]'] });
    expect(v.vocabulary).toEqual(['', '[UNK]', 'a', 'c', 'b', 'e', '[mask]']);
    expect(v.tokenToId('[mask]')).toBe(6);
    expect(v.vocabSize).toBe(7);
  });

  it('pads with 0, truncates, and maps unknown words to 1', async () => {
    const v = new WordVectorizer(['', '[UNK]', 'the', 'movie'], { outputSequenceLength: 4 });
    expect([...v.encode('The movie')]).toEqual([2, 3, 0, 0]);
    expect([...v.encode('the zebra movie the movie')]).toEqual([2, 1, 3, 2]);
    expect([...v.encodeBatch(['movie', 'the the the the the'])]).toEqual([3, 0, 0, 0, 2, 2, 2, 2]);
  });

  it('rejects a vocabulary without padding and [UNK] first', () => {
    expect(() => new WordVectorizer(['a', 'b'], { outputSequenceLength: 2 })).toThrow(/must start with/);
  });
});
