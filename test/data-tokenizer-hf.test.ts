// Our WordPieceTokenizer against Hugging Face `tokenizers` (native): same vocabulary, same options,
// every document of SpamAssassin and Brown, ids and offsets. Also every Unicode code point's class.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCodePointOffsets, trainWordPieceVocab, WordPieceTokenizer } from '../src/data/index.ts';
import { loadBrown, loadSpamAssassin } from '../src/data/index.node.ts';
import * as tables from '../src/data/unicode-tables.ts';
import { hfCharClassRanges } from './fixtures/hf-char-classes.ts';
import { hf, hfTwin } from './fixtures/hf-reference.ts';

const RESERVED = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

// Hand-made hard cases, compared as well as the corpora.
const NASTY = [
  'Héllo WORLD! Ça va? naïve façade Ångström',
  '中文字符和English混合，日本語のテキスト 한국어 텍스트 𠀀𠀁 豈',
  'ctrl\u0000chars\u0001here\u200bzero\u00adsoft\ufeffbom\ufffdrep\u0085nel\u000bvt\u000cff',
  'tabs\tand\nnewlines\r\nand\u00a0nbsp\u3000ideographic\u2028ls',
  'emoji 😀👍🏽 and 🤣 (Unicode 9) and ZWJ 👨‍👩‍👧',
  'ΣΊΣΥΦΟΣ Greek final sigma ΟΔΟΣ; İstanbul ǅungla ß ﬁ ligature',
  'greek question mark \u037e ano teleia \u0387 varia \u1fef angle \u2329x\u232a',
  `${'a'.repeat(101)} ${'b'.repeat(100)} ${'é'.repeat(100)}e ${'😀'.repeat(60)}`,
  '[CLS] special [SEP] tokens[MASK]inside x[UNK]y [mask] [ MASK ] [PAD]',
  'lone \ud800 surrogate \udc00 here',
  'combining e\u0301 a\u0323\u0302 mark\u0300s \u0344 \u1d165',
  'punct: a-b_c.d,e;f:g!h?i"j\'k(l)m[n]o{p}q<r>s/t\\u|v~w`x^y@z#1$2%3&4*5+6=7 ¿¡«»—–…‘’“”',
  '',
  '   ',
  'numbers 3.14159 1,000,000 2nd 10th',
];

interface Mismatch {
  doc: number;
  at: number;
  ours: string;
  theirs: string;
  context: string;
}

async function compare(ours: WordPieceTokenizer, texts: readonly string[]): Promise<Mismatch[]> {
  const twin = await hfTwin(ours);
  const theirs = await twin.encodeBatch(texts as string[], { addSpecialTokens: false });
  const mismatches: Mismatch[] = [];
  texts.forEach((text, d) => {
    const a = ours.encode(text);
    const ids = theirs[d]!.getIds();
    const hfOffsets = theirs[d]!.getOffsets();
    // HF reports code point offsets; ours are UTF-16 (equal when the text has no astral characters).
    const astral = /[\ud800-\udfff]/.test(text);
    const offsets = astral ? toCodePointOffsets(text, a.offsets) : undefined;
    const n = Math.max(ids.length, a.length);
    for (let k = 0; k < n; k++) {
      const start = offsets ? offsets[k]?.[0] : a.starts[k];
      const end = offsets ? offsets[k]?.[1] : a.ends[k];
      const same = a.ids[k] === ids[k] && start === hfOffsets[k]?.[0] && end === hfOffsets[k]?.[1];
      if (same) continue;
      const cps = [...text];
      const where = hfOffsets[k]?.[0] ?? start ?? 0;
      mismatches.push({
        doc: d,
        at: k,
        ours: `${a.tokens[k]} ${JSON.stringify([start, end])}`,
        theirs: `${theirs[d]!.getTokens()[k]} ${JSON.stringify(hfOffsets[k])}`,
        context: JSON.stringify(cps.slice(Math.max(0, where - 30), where + 30).join('')),
      });
      break;
    }
  });
  return mismatches;
}

function report(mismatches: Mismatch[]): string {
  return mismatches.slice(0, 10).map((m) => `doc ${m.doc} token ${m.at}: ours ${m.ours} vs HF ${m.theirs} near ${m.context}`).join('\n');
}

describe('WordPieceTokenizer equals HF tokenizers', () => {
  let texts: string[] = [];

  beforeAll(async () => {
    const spam = await loadSpamAssassin().examples.toArray();
    const brown = await loadBrown().examples.toArray();
    texts = [...NASTY, ...spam.map((e) => e.text), ...brown.map((e) => e.text)];
    expect(texts.length).toBe(NASTY.length + 6046 + 500);
  });

  for (const lowercase of [true, false]) {
    it(`matches ids and offsets on every SpamAssassin and Brown document (${lowercase ? 'uncased' : 'cased'})`, async () => {
      // A small learned vocabulary gives many ## pieces and [UNK]s: the hard paths get exercised.
      const vocab = await trainWordPieceVocab(texts.slice(0, 2500), { vocabSize: 6000, lowercase, reservedTokens: RESERVED });
      const ours = WordPieceTokenizer.fromVocab(vocab, { lowercase });
      const mismatches = await compare(ours, texts);
      expect(mismatches, report(mismatches)).toEqual([]);
    });
  }

  it('decodes like HF (with and without special tokens)', async () => {
    const vocab = await trainWordPieceVocab(texts.slice(0, 500), { vocabSize: 3000, reservedTokens: RESERVED });
    const ours = WordPieceTokenizer.fromVocab(vocab);
    const twin = await hfTwin(ours);
    const samples = [...NASTY, ...texts.slice(NASTY.length, NASTY.length + 200)].map((t) => t.slice(0, 400));
    for (const text of samples) {
      const ids = [ours.clsId, ...ours.encode(text).ids, ours.sepId];
      expect(ours.decode(ids)).toBe(await twin.decode(ids, false));
      expect(ours.decode(ids, { skipSpecialTokens: true })).toBe(await twin.decode(ids, true));
    }
  });

  it('loads a tokenizer.json written by HF and tokenizes the same', async () => {
    const vocab = await trainWordPieceVocab(texts.slice(0, 500), { vocabSize: 3000, lowercase: false, reservedTokens: RESERVED });
    const twin = await hfTwin(WordPieceTokenizer.fromVocab(vocab, { lowercase: false }));
    twin.setPostProcessor(hf.bertProcessing(['[SEP]', 3], ['[CLS]', 2]));
    const path = join(mkdtempSync(join(tmpdir(), 'hf-json-')), 'tokenizer.json');
    twin.save(path);
    const loaded = WordPieceTokenizer.fromTokenizerJson(readFileSync(path, 'utf8'));
    expect(loaded.normalizer.options).toEqual({ cleanText: true, handleChineseChars: true, lowercase: false, stripAccents: false });
    expect(loaded.clsId).toBe(2);
    const mismatches = await compare(loaded, [...NASTY, ...texts.slice(NASTY.length, NASTY.length + 300)]);
    expect(mismatches, report(mismatches)).toEqual([]);
    // And our own tokenizer.json is read by HF to the same behaviour.
    const back = hf.Tokenizer.fromString(JSON.stringify(loaded.toTokenizerJson()));
    const enc = await back.encode('Héllo [MASK] wörld', null, { addSpecialTokens: false });
    expect(enc.getIds()).toEqual([...loaded.encode('Héllo [MASK] wörld').ids]);
  });
});

describe('character classes', () => {
  it('match what HF reports for every Unicode code point (regenerate with test/fixtures/hf-char-classes.ts --write)', () => {
    const fresh = hfCharClassRanges();
    expect(tables.REMOVED_RANGES).toEqual(fresh.removed);
    expect(tables.WHITESPACE_RANGES).toEqual(fresh.whitespace);
    expect(tables.PUNCTUATION_RANGES).toEqual(fresh.punctuation);
    expect(tables.NONSPACING_MARK_RANGES).toEqual(fresh.nonspacingMark);
  });
});
