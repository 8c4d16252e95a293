// WordPiece, greedy longest-match-first, exactly as HF's `WordPiece::tokenize`: a word of more than
// `maxInputCharsPerWord` code points, or one with a piece missing from the vocabulary, becomes [UNK].
import type { NormalizedText } from './normalized-text.ts';
import type { TokenSink } from './token-sink.ts';
import { UnitTrie } from './unit-trie.ts';
import type { Vocabulary } from './vocabulary.ts';

export interface WordPieceOptions {
  /** Default '[UNK]'; must be in the vocabulary. */
  unkToken?: string;
  /** Default '##'. */
  continuingSubwordPrefix?: string;
  /** Default 100 (code points). */
  maxInputCharsPerWord?: number;
}

export class WordPieceModel {
  readonly vocab: Vocabulary;
  readonly unkToken: string;
  readonly unkId: number;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
  private readonly trie: UnitTrie;
  /** Trie node after the prefix ('##'): where continuation pieces start; -1 if none exist. */
  private readonly continuationRoot: number;

  constructor(vocab: Vocabulary, options: WordPieceOptions = {}) {
    this.vocab = vocab;
    this.unkToken = options.unkToken ?? '[UNK]';
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    const unkId = vocab.tokenToId(this.unkToken);
    if (unkId === undefined) throw new Error(`WordPiece: the unknown token ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
    this.unkId = unkId;
    let units = 0;
    for (const t of vocab.tokens) units += t.length;
    this.trie = new UnitTrie(units);
    vocab.tokens.forEach((t, id) => {
      if (vocab.tokenToId(t) === id) this.trie.insert(t, id);
    });
    this.continuationRoot = this.continuingSubwordPrefix === '' ? 0 : this.trie.walk(this.continuingSubwordPrefix);
  }

  /** Tokenizes the word text.units[from, to) and appends (id, originalStart, originalEnd) to `sink`. */
  tokenizeWord(text: NormalizedText, from: number, to: number, sink: TokenSink): void {
    const { units, starts, ends } = text;
    if (to - from > this.maxInputCharsPerWord && codePointCount(units, from, to) > this.maxInputCharsPerWord) {
      sink.push(this.unkId, starts[from]!, ends[to - 1]!);
      return;
    }
    const trie = this.trie;
    const mark = sink.length;
    let pos = from;
    while (pos < to) {
      let node = pos === from ? 0 : this.continuationRoot;
      let bestId = -1;
      let bestEnd = pos;
      for (let k = pos; k < to && node >= 0; k++) {
        node = trie.next(node, units[k]!);
        if (node >= 0) {
          const id = trie.value(node);
          if (id >= 0) {
            bestId = id;
            bestEnd = k + 1;
          }
        }
      }
      if (bestId < 0) {
        sink.length = mark;
        sink.push(this.unkId, starts[from]!, ends[to - 1]!);
        return;
      }
      sink.push(bestId, starts[pos]!, ends[bestEnd - 1]!);
      pos = bestEnd;
    }
  }
}

function codePointCount(units: Uint16Array, from: number, to: number): number {
  let n = to - from;
  for (let k = from + 1; k < to; k++) {
    const u = units[k]!;
    const prev = units[k - 1]!;
    if (u >= 0xdc00 && u <= 0xdfff && prev >= 0xd800 && prev <= 0xdbff) n--;
  }
  return n;
}
