// The result of tokenizing one text: ids plus each token's [start, end) span in the original string.

export class Encoding {
  /** Token ids, (n). */
  readonly ids: Int32Array;
  /** Start of each token in the original text, in UTF-16 code units (JS string indices), (n). */
  readonly starts: Int32Array;
  /** End (exclusive) of each token in the original text, in UTF-16 code units, (n). */
  readonly ends: Int32Array;
  private readonly vocabTokens: readonly string[];

  constructor(ids: Int32Array, starts: Int32Array, ends: Int32Array, vocabTokens: readonly string[]) {
    this.ids = ids;
    this.starts = starts;
    this.ends = ends;
    this.vocabTokens = vocabTokens;
  }

  get length(): number {
    return this.ids.length;
  }

  /** Vocabulary strings of the ids (e.g. 'play', '##ing', '[UNK]'). */
  get tokens(): string[] {
    return Array.from(this.ids, (id) => this.vocabTokens[id] ?? '');
  }

  /** [start, end) pairs in UTF-16 code units: `text.slice(start, end)` is the token's source text. */
  get offsets(): Array<[number, number]> {
    return Array.from(this.ids, (_, i) => [this.starts[i]!, this.ends[i]!] as [number, number]);
  }
}

/**
 * Converts UTF-16 offsets into code point offsets (what HF's Python and Node bindings report).
 * Same length as `offsets`; each [start, end) counts code points instead of code units.
 */
export function toCodePointOffsets(text: string, offsets: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const cpIndex = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    cpIndex[i] = cp;
    const u = text.charCodeAt(i);
    const isPairStart = u >= 0xd800 && u <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    if (!isPairStart) cp++;
  }
  cpIndex[text.length] = cp;
  return offsets.map(([s, e]) => [cpIndex[s]!, cpIndex[e]!]);
}
