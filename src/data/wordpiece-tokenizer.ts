// BERT's tokenizer: added tokens ([CLS], [MASK], ...) found in the raw text, then BertNormalizer,
// BertPreTokenizer and WordPiece. Same ids and offsets as Hugging Face `tokenizers` for the same
// vocabulary and options (test/data-tokenizer-hf.test.ts checks whole corpora).
import { AddedTokenMatcher, type AddedToken } from './added-tokens.ts';
import { BertNormalizer, type BertNormalizerOptions } from './bert-normalizer.ts';
import { forEachBertWord } from './bert-pre-tokenizer.ts';
import { Encoding } from './encoding.ts';
import { NormalizedText } from './normalized-text.ts';
import { TokenSink } from './token-sink.ts';
import { decodeWordPieces } from './wordpiece-decoder.ts';
import { WordPieceModel, type WordPieceOptions } from './wordpiece-model.ts';
import { Vocabulary } from './vocabulary.ts';
import { tokenizerFromJson, tokenizerToJson } from './tokenizer-json.ts';

export interface SpecialTokenNames {
  unkToken?: string;
  clsToken?: string;
  sepToken?: string;
  padToken?: string;
  maskToken?: string;
}

export interface WordPieceTokenizerOptions extends BertNormalizerOptions, WordPieceOptions, SpecialTokenNames {
  /**
   * Tokens matched verbatim in the raw text before normalization, each becoming one token.
   * Default: those of [PAD] [UNK] [CLS] [SEP] [MASK] (or the configured names) present in the vocabulary,
   * as HF's BertWordPieceTokenizer does. Pass [] to treat them as ordinary text.
   */
  specialTokens?: readonly string[];
  /** Full added-token records (from tokenizer.json); when given, `specialTokens` is ignored. */
  addedTokens?: readonly AddedToken[];
  /** Decoder cleanup of spaces before punctuation (HF default true). */
  decoderCleanup?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens ([CLS], [PAD], ...). Default false. */
  skipSpecialTokens?: boolean;
  /** Override the decoder's cleanup setting. */
  cleanup?: boolean;
}

export class WordPieceTokenizer {
  readonly vocab: Vocabulary;
  readonly normalizer: BertNormalizer;
  readonly model: WordPieceModel;
  readonly addedTokens: readonly AddedToken[];
  readonly names: Required<SpecialTokenNames>;
  readonly decoderCleanup: boolean;
  private readonly rawMatcher: AddedTokenMatcher;
  private readonly normalizedMatcher: AddedTokenMatcher;
  private readonly addedById: Map<number, AddedToken>;
  private readonly specialContents: Set<string>;
  private readonly text = new NormalizedText();
  private readonly sink = new TokenSink();
  private readonly onWord: (start: number, end: number) => void;

  constructor(vocab: Vocabulary, options: WordPieceTokenizerOptions = {}) {
    this.vocab = vocab;
    this.names = {
      unkToken: options.unkToken ?? '[UNK]',
      clsToken: options.clsToken ?? '[CLS]',
      sepToken: options.sepToken ?? '[SEP]',
      padToken: options.padToken ?? '[PAD]',
      maskToken: options.maskToken ?? '[MASK]',
    };
    this.normalizer = new BertNormalizer(options);
    this.model = new WordPieceModel(vocab, { ...options, unkToken: this.names.unkToken });
    this.decoderCleanup = options.decoderCleanup ?? true;
    this.addedTokens = options.addedTokens ?? defaultSpecialTokens(vocab, options.specialTokens ?? Object.values(this.names));
    for (const t of this.addedTokens) {
      const known = vocab.tokenToId(t.content);
      if (known !== undefined && known !== t.id) {
        throw new Error(`added token ${JSON.stringify(t.content)} has id ${t.id} but the vocabulary says ${known}`);
      }
    }
    this.addedById = new Map(this.addedTokens.map((t) => [t.id, t]));
    this.specialContents = new Set(this.addedTokens.filter((t) => t.special).map((t) => t.content));
    this.rawMatcher = new AddedTokenMatcher(this.addedTokens.filter((t) => !t.normalized));
    // Normalized added tokens are matched in normalized text, so their own text is normalized first.
    this.normalizedMatcher = new AddedTokenMatcher(
      this.addedTokens.filter((t) => t.normalized).map((t) => ({ ...t, content: this.normalizer.normalize(t.content) })),
    );
    this.onWord = (start, end) => this.model.tokenizeWord(this.text, start, end, this.sink);
  }

  /** From vocab.txt contents, a token array (id = index) or a Vocabulary. */
  static fromVocab(vocab: string | readonly string[] | Vocabulary, options: WordPieceTokenizerOptions = {}): WordPieceTokenizer {
    const v = vocab instanceof Vocabulary ? vocab : typeof vocab === 'string' ? Vocabulary.fromText(vocab) : new Vocabulary(vocab);
    return new WordPieceTokenizer(v, options);
  }

  /** From a Hugging Face tokenizer.json (text or parsed object) with a WordPiece model. */
  static fromTokenizerJson(json: string | object, file = 'tokenizer.json'): WordPieceTokenizer {
    return tokenizerFromJson(json, file);
  }

  /** A tokenizer.json object that HF `tokenizers` loads to the same behaviour. */
  toTokenizerJson(): object {
    return tokenizerToJson(this);
  }

  /** Tokenizes one text. Offsets index the original string in UTF-16 code units. */
  encode(text: string): Encoding {
    const sink = this.sink;
    sink.clear();
    if (this.rawMatcher.isEmpty) {
      this.encodeSegment(text, 0, text.length);
    } else {
      for (const piece of this.rawMatcher.split(text, 0, text.length)) {
        if (piece.id >= 0) sink.push(piece.id, piece.start, piece.end);
        else this.encodeSegment(text, piece.start, piece.end);
      }
    }
    const n = sink.length;
    return new Encoding(sink.ids.slice(0, n), sink.starts.slice(0, n), sink.ends.slice(0, n), this.vocab.tokens);
  }

  encodeBatch(texts: readonly string[]): Encoding[] {
    return texts.map((t) => this.encode(t));
  }

  /** Ids back to text, gluing '##' pieces, like HF's WordPiece decoder. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const token = this.idToToken(ids[i]!);
      if (token === undefined) continue;
      if (options.skipSpecialTokens && this.specialContents.has(token)) continue;
      tokens.push(token);
    }
    return decodeWordPieces(tokens, this.model.continuingSubwordPrefix, options.cleanup ?? this.decoderCleanup);
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.tokenToId(token) ?? this.addedTokens.find((t) => t.content === token)?.id;
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.vocab.idToToken(id);
  }

  /** Rows needed in an embedding table: every id is below this. */
  get vocabSize(): number {
    let size = this.vocab.size;
    for (const t of this.addedTokens) size = Math.max(size, t.id + 1);
    return size;
  }

  get unkId(): number {
    return this.model.unkId;
  }
  get clsId(): number {
    return this.requireId(this.names.clsToken, 'clsToken');
  }
  get sepId(): number {
    return this.requireId(this.names.sepToken, 'sepToken');
  }
  get padId(): number {
    return this.requireId(this.names.padToken, 'padToken');
  }
  get maskId(): number {
    return this.requireId(this.names.maskToken, 'maskToken');
  }

  /** Ids of the special (added) tokens, e.g. to keep the masker off them. */
  get specialIds(): number[] {
    return this.addedTokens.filter((t) => t.special).map((t) => t.id);
  }

  /** vocab.txt contents. */
  toVocabText(): string {
    return this.vocab.toText();
  }

  private encodeSegment(text: string, from: number, to: number): void {
    const buf = this.text;
    buf.clear();
    this.normalizer.normalizeInto(text, from, to, buf);
    if (this.normalizedMatcher.isEmpty) {
      forEachBertWord(buf, 0, buf.length, this.onWord);
      return;
    }
    const normalized = buf.toString();
    for (const piece of this.normalizedMatcher.split(normalized, 0, normalized.length)) {
      if (piece.id >= 0) this.sink.push(piece.id, buf.starts[piece.start]!, buf.ends[piece.end - 1]!);
      else forEachBertWord(buf, piece.start, piece.end, this.onWord);
    }
  }

  private requireId(token: string, option: string): number {
    const id = this.tokenToId(token);
    if (id === undefined) throw new Error(`the vocabulary has no ${token} token (set the tokenizer's ${option} option)`);
    return id;
  }
}

function defaultSpecialTokens(vocab: Vocabulary, contents: readonly string[]): AddedToken[] {
  const tokens: AddedToken[] = [];
  for (const content of new Set(contents)) {
    const id = vocab.tokenToId(content);
    if (id === undefined) continue;
    tokens.push({ content, id, special: true, normalized: false, singleWord: false, lstrip: false, rstrip: false });
  }
  return tokens;
}
