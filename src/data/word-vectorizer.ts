// Keras TextVectorization (output_mode='int', split='whitespace') as seed 000 uses it: standardize,
// split on whitespace, map words to ids from a top-k vocabulary, pad/truncate to a fixed length.
// Vocabulary: 0 = '' (padding), 1 = '[UNK]', then words by count (ties: the larger string first,
// as Keras sorts), then `specialTokens` appended last (seed 000 appends '[mask]').

/** Keras' DEFAULT_STRIP_REGEX characters for 'lower_and_strip_punctuation'. */
export const TF_STRIP_PUNCTUATION = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\'';

export interface WordVectorizerOptions {
  /** Output length: shorter texts are padded with 0, longer ones truncated. */
  outputSequenceLength: number;
  /** Lowercase (ASCII only, like tf.strings.lower). Default true. */
  lowercase?: boolean;
  /** Replace '<br />' with ' ' first (IMDB reviews are full of them). Default true. */
  stripHtmlBreaks?: boolean;
  /** Characters removed. Default TF_STRIP_PUNCTUATION; '' keeps everything. */
  stripCharacters?: string;
  /** Replaces the whole standardization when given. */
  standardize?: (text: string) => string;
}

export interface AdaptOptions extends WordVectorizerOptions {
  /** Vocabulary size including '', '[UNK]' and `specialTokens`. */
  maxTokens: number;
  /** Appended at the end of the vocabulary, e.g. ['[mask]']. */
  specialTokens?: readonly string[];
}

const WHITESPACE_RUN = /[ \t\n\r\v\f]+/;

export class WordVectorizer {
  readonly vocabulary: readonly string[];
  readonly outputSequenceLength: number;
  private readonly ids: Map<string, number>;
  private readonly options: WordVectorizerOptions;
  private readonly strip: RegExp | undefined;

  /** `vocabulary` must start with '' and '[UNK]'. */
  constructor(vocabulary: readonly string[], options: WordVectorizerOptions) {
    if (vocabulary[0] !== '' || vocabulary[1] !== '[UNK]') throw new Error("WordVectorizer: vocabulary must start with '' (padding) and '[UNK]'");
    this.vocabulary = vocabulary;
    this.outputSequenceLength = options.outputSequenceLength;
    this.options = options;
    this.ids = new Map(vocabulary.map((t, i) => [t, i]));
    const chars = options.stripCharacters ?? TF_STRIP_PUNCTUATION;
    this.strip = chars === '' ? undefined : new RegExp(`[${chars.replace(/[\\\]^-]/g, '\\$&')}]`, 'g');
  }

  /** Learns the vocabulary from texts (Keras `adapt`). */
  static async adapt(texts: Iterable<string> | AsyncIterable<string>, options: AdaptOptions): Promise<WordVectorizer> {
    const probe = new WordVectorizer(['', '[UNK]'], options);
    const counts = new Map<string, number>();
    for await (const text of texts) {
      for (const w of probe.split(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    const specials = options.specialTokens ?? [];
    for (const s of [...specials, '', '[UNK]']) counts.delete(s);
    const room = options.maxTokens - 2 - specials.length;
    if (room < 0) throw new RangeError(`maxTokens (${options.maxTokens}) is too small for '', '[UNK]' and ${specials.length} special tokens`);
    const words = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || compareCodePoints(b[0], a[0]))
      .slice(0, room)
      .map(([w]) => w);
    return new WordVectorizer(['', '[UNK]', ...words, ...specials], options);
  }

  standardize(text: string): string {
    if (this.options.standardize) return this.options.standardize(text);
    let s = text;
    if (this.options.lowercase ?? true) s = s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
    if (this.options.stripHtmlBreaks ?? true) s = s.replaceAll('<br />', ' ');
    if (this.strip) s = s.replace(this.strip, '');
    return s;
  }

  /** Standardized words. */
  split(text: string): string[] {
    return this.standardize(text).split(WHITESPACE_RUN).filter((w) => w !== '');
  }

  /** Ids of one text, padded/truncated to outputSequenceLength. */
  encode(text: string): Int32Array {
    const out = new Int32Array(this.outputSequenceLength);
    this.encodeInto(text, out, 0);
    return out;
  }

  /** Ids of many texts as one (batch, outputSequenceLength) array. */
  encodeBatch(texts: readonly string[]): Int32Array {
    const out = new Int32Array(texts.length * this.outputSequenceLength);
    texts.forEach((t, b) => this.encodeInto(t, out, b * this.outputSequenceLength));
    return out;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocabulary[id];
  }

  get vocabSize(): number {
    return this.vocabulary.length;
  }

  private encodeInto(text: string, out: Int32Array, offset: number): void {
    const words = this.split(text);
    const n = Math.min(words.length, this.outputSequenceLength);
    for (let i = 0; i < n; i++) out[offset + i] = this.ids.get(words[i]!) ?? 1;
  }
}

function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}
