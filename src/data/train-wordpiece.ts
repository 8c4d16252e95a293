// Learns a WordPiece vocabulary from text, the way HF's WordPieceTrainer (and so
// BertWordPieceTokenizer.train) does: words are split into characters ('##' marks non-initial ones)
// and the most frequent adjacent pair is merged, again and again, until the vocabulary is full (a BPE
// merge learner). Same defaults and the same vocabulary as a set, within HF's own run-to-run spread
// (test/data-train-vocab-hf.test.ts); unlike HF it is deterministic (ties go to the pair of older
// symbols; HF breaks them by hash-map order) and never returns more than `vocabSize` tokens.
import { BertNormalizer } from './bert-normalizer.ts';
import { forEachBertWord } from './bert-pre-tokenizer.ts';
import { NormalizedText } from './normalized-text.ts';
import { MaxHeap } from './max-heap.ts';

export interface TrainWordPieceOptions {
  /** Total size of the vocabulary, reserved tokens included. Default 30000. */
  vocabSize?: number;
  /** Tokens put first, in this order. Default ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']. */
  reservedTokens?: readonly string[];
  /** Same meaning as the tokenizer's options; use the same values for both. Default true. */
  lowercase?: boolean;
  /** Default: follows `lowercase`. */
  stripAccents?: boolean;
  /** Pairs seen fewer times than this are never merged. Default 2. */
  minFrequency?: number;
  /** Keep at most this many distinct characters (the most frequent; others are dropped from words). Default 1000; `Infinity` keeps all. */
  limitAlphabet?: number;
  /** Default '##'. */
  continuingSubwordPrefix?: string;
  /** Called now and then with the number of texts read, then merges done. */
  onProgress?: (phase: 'count' | 'merge', done: number) => void;
}

/** BertWordPieceTokenizer.train's defaults. */
export const WORDPIECE_TRAINER_DEFAULTS = {
  vocabSize: 30000,
  reservedTokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
  minFrequency: 2,
  limitAlphabet: 1000,
  continuingSubwordPrefix: '##',
} as const;

const PAIR_SCALE = 2 ** 21;

/** Learns a vocabulary (token list, id = index) from texts. */
export async function trainWordPieceVocab(
  texts: Iterable<string> | AsyncIterable<string>,
  options: TrainWordPieceOptions = {},
): Promise<string[]> {
  const counts = await countWords(texts, options);
  return learnFromWordCounts(counts, options);
}

/** Counts normalized, pre-tokenized words, as the tokenizer would see them. */
export async function countWords(
  texts: Iterable<string> | AsyncIterable<string>,
  options: Pick<TrainWordPieceOptions, 'lowercase' | 'stripAccents' | 'onProgress'> = {},
): Promise<Map<string, number>> {
  const normalizer = new BertNormalizer({ lowercase: options.lowercase ?? true, stripAccents: options.stripAccents });
  const buf = new NormalizedText();
  const counts = new Map<string, number>();
  const onWord = (s: number, e: number) => {
    const w = buf.toString(s, e);
    counts.set(w, (counts.get(w) ?? 0) + 1);
  };
  let read = 0;
  for await (const text of texts) {
    buf.clear();
    normalizer.normalizeInto(text, 0, text.length, buf);
    forEachBertWord(buf, 0, buf.length, onWord);
    if (++read % 1000 === 0) options.onProgress?.('count', read);
  }
  return counts;
}

/** The merge learner, from word counts (exported for tests and for callers that count themselves). */
export function learnFromWordCounts(counts: ReadonlyMap<string, number>, options: TrainWordPieceOptions = {}): string[] {
  const d = WORDPIECE_TRAINER_DEFAULTS;
  const vocabSize = options.vocabSize ?? d.vocabSize;
  const prefix = options.continuingSubwordPrefix ?? d.continuingSubwordPrefix;
  const minFrequency = options.minFrequency ?? d.minFrequency;
  if (!Number.isInteger(vocabSize) || vocabSize < 1) {
    throw new Error(`trainWordPieceVocab: vocabSize must be a positive integer, got ${vocabSize}`);
  }
  const vocab: string[] = [];
  const seen = new Set<string>();
  const add = (t: string) => {
    if (seen.has(t) || vocab.length >= vocabSize) return;
    seen.add(t);
    vocab.push(t);
  };
  for (const t of options.reservedTokens ?? d.reservedTokens) add(t);

  // Words in a fixed order (HF walks a hash map), each as its characters.
  const words = [...counts.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([w, n]) => ({ chars: [...w], n }));
  const alphabet = chooseAlphabet(words, vocabSize - vocab.length, options.limitAlphabet ?? d.limitAlphabet);

  // Symbols: every token the learner knows, by id; vocab order = symbol order. First the alphabet (by
  // code point, as HF), then the '##' forms of the characters that occur inside a word.
  const symbols: string[] = [];
  const symbolId = new Map<string, number>();
  const symbol = (t: string) => {
    let id = symbolId.get(t);
    if (id === undefined) {
      id = symbols.length;
      symbols.push(t);
      symbolId.set(t, id);
    }
    return id;
  };
  for (const ch of alphabet.chars) add(ch);
  for (const ch of alphabet.continuing) add(prefix + ch);
  for (const t of vocab) symbol(t);

  // Each word as a symbol sequence, weighted by its count.
  const seqs: number[][] = [];
  const weights: number[] = [];
  for (const { chars, n } of words) {
    const seq = pieces(chars, alphabet.kept).map(([ch, inside]) => symbolId.get(inside ? prefix + ch : ch)!);
    if (seq.length === 0) continue;
    seqs.push(seq);
    weights.push(n);
  }

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPair = (key: number, word: number, n: number) => {
    pairCount.set(key, (pairCount.get(key) ?? 0) + n);
    let where = pairWords.get(key);
    if (!where) pairWords.set(key, (where = new Set()));
    where.add(word);
  };
  seqs.forEach((seq, w) => {
    for (let i = 0; i + 1 < seq.length; i++) addPair(seq[i]! * PAIR_SCALE + seq[i + 1]!, w, weights[w]!);
  });

  // Highest count first; among equal counts the smaller key (older symbols) wins.
  const heap = new MaxHeap();
  for (const [key, n] of pairCount) heap.push(n, key);
  let merges = 0;
  while (vocab.length < vocabSize && heap.size > 0) {
    const { priority, key } = heap.pop()!;
    const current = pairCount.get(key) ?? 0;
    if (current !== priority) {
      if (current > 0) heap.push(current, key);
      continue;
    }
    if (current < Math.max(1, minFrequency)) break;
    const a = Math.floor(key / PAIR_SCALE);
    const b = key - a * PAIR_SCALE;
    const right = symbols[b]!;
    const merged = symbols[a]! + (right.startsWith(prefix) ? right.slice(prefix.length) : right);
    add(merged);
    const m = symbol(merged);
    const touched = new Map<number, number>();
    for (const w of pairWords.get(key) ?? []) {
      const seq = seqs[w]!;
      const n = weights[w]!;
      const next: number[] = [];
      for (let i = 0; i < seq.length; i++) {
        if (i + 1 < seq.length && seq[i] === a && seq[i + 1] === b) {
          next.push(m);
          i++;
        } else {
          next.push(seq[i]!);
        }
      }
      for (let i = 0; i + 1 < seq.length; i++) bump(touched, seq[i]! * PAIR_SCALE + seq[i + 1]!, -n);
      for (let i = 0; i + 1 < next.length; i++) {
        const k = next[i]! * PAIR_SCALE + next[i + 1]!;
        bump(touched, k, n);
        let where = pairWords.get(k);
        if (!where) pairWords.set(k, (where = new Set()));
        where.add(w);
      }
      seqs[w] = next;
    }
    for (const [k, delta] of touched) {
      if (delta === 0) continue;
      const n = (pairCount.get(k) ?? 0) + delta;
      pairCount.set(k, n);
      if (delta > 0) heap.push(n, k);
    }
    pairCount.delete(key);
    pairWords.delete(key);
    if (++merges % 1000 === 0) options.onProgress?.('merge', merges);
  }
  return vocab;
}

function bump(m: Map<number, number>, key: number, delta: number): void {
  m.set(key, (m.get(key) ?? 0) + delta);
}

type Word = { chars: string[]; n: number };

/**
 * A word's characters that are in the alphabet, each with whether it is non-initial in the original
 * word. As in HF, a dropped first character leaves the next one non-initial ('##' form).
 */
function pieces(chars: readonly string[], kept: ReadonlySet<string>): [string, boolean][] {
  const out: [string, boolean][] = [];
  chars.forEach((ch, i) => {
    if (kept.has(ch)) out.push([ch, i > 0]);
  });
  return out;
}

/**
 * The alphabet: the `limit` most frequent characters (weighted by word count; code point breaks
 * ties), sorted by code point, and the characters that occur non-initially among them. If those do not
 * fit in `room` (a vocabulary smaller than its alphabet), the largest prefix by frequency that fits.
 */
function chooseAlphabet(words: readonly Word[], room: number, limit: number) {
  const charCounts = new Map<string, number>();
  for (const { chars, n } of words) for (const ch of chars) charCounts.set(ch, (charCounts.get(ch) ?? 0) + n);
  const byFrequency = [...charCounts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].codePointAt(0)! - b[0].codePointAt(0)!)
    .map(([ch]) => ch);
  const take = (k: number) => {
    const kept = new Set(byFrequency.slice(0, k));
    const inside = new Map<string, number>(); // distinct words with the character inside
    for (const { chars } of words) {
      for (const ch of new Set(pieces(chars, kept).filter((p) => p[1]).map((p) => p[0]))) inside.set(ch, (inside.get(ch) ?? 0) + 1);
    }
    const byCodePoint = (a: string, b: string) => a.codePointAt(0)! - b.codePointAt(0)!;
    const continuing = [...inside.entries()].sort((a, b) => b[1] - a[1] || byCodePoint(a[0], b[0])).map(([ch]) => ch);
    return { kept, chars: [...kept].sort(byCodePoint), continuing };
  };
  const all = take(Math.min(limit, byFrequency.length));
  if (all.chars.length + all.continuing.length <= room) return all;
  // Both counts grow with k: binary search the largest k whose alphabet and '##' forms fit.
  let lo = 0;
  let hi = all.chars.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const t = take(mid);
    if (t.chars.length + t.continuing.length <= room) lo = mid;
    else hi = mid - 1;
  }
  return take(lo);
}
