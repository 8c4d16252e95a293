// Learns a WordPiece vocabulary from text, the way HF's WordPieceTrainer does: words are split
// into characters ('##' marks non-initial ones) and the most frequent adjacent pair is merged,
// again and again, until the vocabulary is full (a BPE merge learner). Fully deterministic:
// ties go to the pair of older symbols. The result does not equal HF's token for token.
import { BertNormalizer } from './bert-normalizer.ts';
import { forEachBertWord } from './bert-pre-tokenizer.ts';
import { NormalizedText } from './normalized-text.ts';
import { MaxHeap } from './max-heap.ts';

export interface TrainWordPieceOptions {
  /** Total size of the vocabulary, reserved tokens included. */
  vocabSize: number;
  /** Tokens put first, in this order (e.g. ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']). */
  reservedTokens?: readonly string[];
  /** Same meaning as the tokenizer's options; use the same values for both. Default true. */
  lowercase?: boolean;
  /** Default: follows `lowercase`. */
  stripAccents?: boolean;
  /** Pairs seen fewer times than this are never merged. Default 2. */
  minFrequency?: number;
  /** Keep at most this many distinct characters (the most frequent). Default: all that fit. */
  limitAlphabet?: number;
  /** Default '##'. */
  continuingSubwordPrefix?: string;
  /** Words longer than this (code points) are ignored, as the tokenizer maps them to [UNK]. Default 100. */
  maxInputCharsPerWord?: number;
  /** Called now and then with the number of texts read, then merges done. */
  onProgress?: (phase: 'count' | 'merge', done: number) => void;
}

const PAIR_SCALE = 2 ** 21;

/** Learns a vocabulary (token list, id = index) from texts. */
export async function trainWordPieceVocab(
  texts: Iterable<string> | AsyncIterable<string>,
  options: TrainWordPieceOptions,
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
export function learnFromWordCounts(counts: ReadonlyMap<string, number>, options: TrainWordPieceOptions): string[] {
  const prefix = options.continuingSubwordPrefix ?? '##';
  const minFrequency = options.minFrequency ?? 2;
  const maxChars = options.maxInputCharsPerWord ?? 100;
  const vocab: string[] = [];
  const seen = new Set<string>();
  const add = (t: string) => {
    if (seen.has(t) || vocab.length >= options.vocabSize) return false;
    seen.add(t);
    vocab.push(t);
    return true;
  };
  for (const t of options.reservedTokens ?? []) add(t);

  // Alphabet: most frequent characters first (code point breaks ties), each in both forms,
  // so any word over the alphabet tokenizes without [UNK].
  const charCounts = new Map<string, number>();
  const words = [...counts.entries()]
    .filter(([w]) => [...w].length <= maxChars)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [w, n] of words) for (const ch of w) charCounts.set(ch, (charCounts.get(ch) ?? 0) + n);
  const room = Math.floor((options.vocabSize - vocab.length) / 2);
  const alphabet = [...charCounts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].codePointAt(0)! - b[0].codePointAt(0)!)
    .slice(0, Math.min(room, options.limitAlphabet ?? Infinity))
    .map(([ch]) => ch)
    .sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const inAlphabet = new Set(alphabet);

  // Symbols: every token the learner knows, by id; vocab order = symbol order.
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
  for (const ch of alphabet) add(ch);
  for (const ch of alphabet) add(prefix + ch);
  for (const t of vocab) symbol(t);

  // Each kept word as a symbol sequence, weighted by its count.
  const seqs: number[][] = [];
  const weights: number[] = [];
  for (const [w, n] of words) {
    const chars = [...w];
    if (!chars.every((ch) => inAlphabet.has(ch))) continue;
    seqs.push(chars.map((ch, i) => symbolId.get(i === 0 ? ch : prefix + ch)!));
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
  while (vocab.length < options.vocabSize && heap.size > 0) {
    const { priority, key } = heap.pop()!;
    const current = pairCount.get(key) ?? 0;
    if (current !== priority) {
      if (current > 0) heap.push(current, key);
      continue;
    }
    if (current < minFrequency) break;
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
