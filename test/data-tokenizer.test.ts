// Hand-checked WordPieceTokenizer cases: normalization, splitting, WordPiece, offsets, decode.
import { describe, expect, it } from 'vitest';
import { BertNormalizer, bertPreTokenize, toCodePointOffsets, Vocabulary, WordPieceTokenizer } from '../src/data/index.ts';

const VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  'hello', 'world', '!', ',', '.', 'un', '##aff', '##able', 'cafe', 'naive', '中', '文', 'a', 'b', '##b', 'play', '##ing', '##s', 'x',
  'Hello', 'Café', '😀', '##😀', ';',
];

function tok(options = {}) {
  return WordPieceTokenizer.fromVocab(VOCAB, options);
}

describe('BertNormalizer', () => {
  it('lowercases and strips accents by default (strip_accents follows lowercase)', () => {
    expect(new BertNormalizer().normalize('Café NAÏVE Ångström')).toBe('cafe naive angstrom');
    expect(new BertNormalizer({ lowercase: false }).normalize('Café NAÏVE')).toBe('Café NAÏVE');
    expect(new BertNormalizer({ lowercase: true, stripAccents: false }).normalize('Café')).toBe('café');
  });

  it('removes control characters, keeps \\t\\n\\r as spaces', () => {
    expect(new BertNormalizer().normalize('a\u0000b\u0001c\u200bd\ufffde\tf\ng\rh\u000bi')).toBe('abcde f g hi');
  });

  it('puts spaces around CJK ideographs, not around kana or hangul', () => {
    expect(new BertNormalizer().normalize('ab中文cd')).toBe('ab 中  文 cd');
    expect(new BertNormalizer({ lowercase: false }).normalize('カナ한')).toBe('カナ한');
    // Uncased strips accents through NFD, which splits hangul syllables into jamo (as HF does).
    expect(new BertNormalizer().normalize('한')).toBe('한'.normalize('NFD'));
  });

  it('lowercases per character: no Greek final-sigma rule (as HF)', () => {
    expect(new BertNormalizer({ stripAccents: false }).normalize('ΟΔΟΣ')).toBe('οδοσ');
    expect('ΟΔΟΣ'.toLowerCase()).toBe('οδος');
  });
});

describe('bertPreTokenize', () => {
  it('splits on whitespace and isolates each punctuation mark', () => {
    expect(bertPreTokenize('Hey friend!     How are you?!?')).toEqual([
      ['Hey', [0, 3]], ['friend', [4, 10]], ['!', [10, 11]], ['How', [16, 19]], ['are', [20, 23]],
      ['you', [24, 27]], ['?', [27, 28]], ['!', [28, 29]], ['?', [29, 30]],
    ]);
  });

  it('treats ASCII symbols like $ + < ^ ` | ~ as punctuation and Unicode P* too', () => {
    expect(bertPreTokenize('a$b+c¿d«e').map((w) => w[0])).toEqual(['a', '$', 'b', '+', 'c', '¿', 'd', '«', 'e']);
  });
});

describe('WordPieceTokenizer', () => {
  it('splits words into longest-match pieces with ## continuations', () => {
    const e = tok().encode('unaffable playing plays');
    expect(e.tokens).toEqual(['un', '##aff', '##able', 'play', '##ing', 'play', '##s']);
    expect([...e.ids]).toEqual([10, 11, 12, 20, 21, 20, 22]);
  });

  it('maps a word with an unknown piece, or over 100 characters, to one [UNK]', () => {
    const t = tok();
    expect(t.encode('unz hello').tokens).toEqual(['[UNK]', 'hello']);
    expect(t.encode(`${'b'.repeat(100)}`).tokens).toEqual(['b', ...Array(99).fill('##b')]);
    const long = t.encode(`${'b'.repeat(101)} x`);
    expect(long.tokens).toEqual(['[UNK]', 'x']);
    expect(long.offsets[0]).toEqual([0, 101]);
  });

  it('uncased: strips accents and lowercases before lookup; cased keeps them', () => {
    expect(tok().encode('CAFÉ Naïve').tokens).toEqual(['cafe', 'naive']);
    expect(tok({ lowercase: false }).encode('Café Hello cafe').tokens).toEqual(['Café', 'Hello', 'cafe']);
  });

  it('gives offsets into the original string that slice back to each token source', () => {
    const text = 'Héllo,  WORLD! 中文\u0000x';
    const t = WordPieceTokenizer.fromVocab([...VOCAB.slice(0, 5), 'hello', 'world', ',', '!', '中', '文', 'x']);
    const e = t.encode(text);
    expect(e.tokens).toEqual(['hello', ',', 'world', '!', '中', '文', 'x']);
    expect(e.offsets.map(([s, end]) => text.slice(s, end))).toEqual(['Héllo', ',', 'WORLD', '!', '中', '文', 'x']);
  });

  it('offsets are UTF-16 code units; toCodePointOffsets converts to HF/Python code points', () => {
    const text = '😀 a😀';
    const e = tok({ lowercase: false }).encode(text);
    expect(e.tokens).toEqual(['😀', 'a', '##😀']);
    expect(e.offsets).toEqual([[0, 2], [3, 4], [4, 6]]);
    expect(toCodePointOffsets(text, e.offsets)).toEqual([[0, 1], [2, 3], [3, 4]]);
  });

  it('finds special tokens in raw text (case-sensitive), even inside words', () => {
    const e = tok().encode('hello[MASK]world [mask] [CLS]');
    expect(e.tokens).toEqual(['hello', '[MASK]', 'world', '[UNK]', '[UNK]', '[UNK]', '[CLS]']);
    expect(e.offsets[1]).toEqual([5, 11]);
    expect(tok({ specialTokens: [] }).encode('[MASK]').tokens).toEqual(['[UNK]', '[UNK]', '[UNK]']);
  });

  it('splits punctuation created by normalization (U+037E GREEK QUESTION MARK -> ;)', () => {
    expect(tok().encode('a\u037eb').tokens).toEqual(['a', ';', 'b']);
  });

  it('empty and whitespace-only texts give no tokens', () => {
    expect(tok().encode('').length).toBe(0);
    expect(tok().encode(' \t\n ').length).toBe(0);
  });

  it('decodes, gluing ## pieces, optionally without special tokens', () => {
    const t = tok();
    const ids = [t.clsId, ...t.encode('unaffable playing, hello!').ids, t.sepId];
    expect(t.decode(ids)).toBe('[CLS] unaffable playing, hello! [SEP]');
    expect(t.decode(ids, { skipSpecialTokens: true })).toBe('unaffable playing, hello!');
    expect(t.decode(ids, { skipSpecialTokens: true, cleanup: false })).toBe('unaffable playing , hello !');
  });

  it('exposes ids, sizes and vocab.txt round trip', () => {
    const t = tok();
    expect([t.padId, t.unkId, t.clsId, t.sepId, t.maskId]).toEqual([0, 1, 2, 3, 4]);
    expect(t.vocabSize).toBe(VOCAB.length);
    expect(t.tokenToId('##ing')).toBe(21);
    expect(t.idToToken(21)).toBe('##ing');
    const again = WordPieceTokenizer.fromVocab(t.toVocabText());
    expect(again.vocab.tokens).toEqual(VOCAB);
    expect(Vocabulary.fromText('a\r\nb  \nc\n').tokens).toEqual(['a', 'b', 'c']);
  });

  it('explains missing tokens', () => {
    expect(() => WordPieceTokenizer.fromVocab(['a', 'b'])).toThrow(/unknown token "\[UNK\]"/);
    const t = WordPieceTokenizer.fromVocab(['[UNK]', 'a']);
    expect(() => t.clsId).toThrow(/no \[CLS\] token/);
  });

  it('encodeBatch equals encode one by one', () => {
    const t = tok();
    const texts = ['hello world', 'playing', ''];
    expect(t.encodeBatch(texts).map((e) => [...e.ids])).toEqual(texts.map((x) => [...t.encode(x).ids]));
  });
});
