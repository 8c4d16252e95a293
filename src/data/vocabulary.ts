// Token <-> id tables, read from and written to BERT's vocab.txt (one token per line, id = line number).
import { isWhitespace } from './unicode.ts';

export class Vocabulary {
  /** Token of each id (index = id). */
  readonly tokens: readonly string[];
  private readonly idOf: Map<string, number>;

  constructor(tokens: readonly string[]) {
    this.tokens = tokens;
    this.idOf = new Map();
    // A repeated token maps to its last line, as HF's vocab.txt reader does.
    tokens.forEach((t, id) => this.idOf.set(t, id));
  }

  /**
   * Parses vocab.txt text: lines split on \n, a trailing \r and trailing whitespace dropped (HF
   * `trim_end`), so CRLF files read as transformers reads them. A leading UTF-8 byte-order mark
   * (Windows editors) is dropped: transformers keeps it as part of the first token, which then
   * matches nothing; the ids are the same either way.
   */
  static fromText(text: string): Vocabulary {
    const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return new Vocabulary(lines.map(trimEndWhitespace));
  }

  /** From a token -> id object, as in tokenizer.json's `model.vocab`. Ids must be 0..n-1 without gaps. */
  static fromRecord(record: Readonly<Record<string, number>>): Vocabulary {
    const entries = Object.entries(record);
    const tokens: string[] = new Array(entries.length);
    for (const [token, id] of entries) {
      if (!Number.isInteger(id) || id < 0 || id >= entries.length || tokens[id] !== undefined) {
        throw new Error(`vocabulary ids must be 0..${entries.length - 1} without repeats; token ${JSON.stringify(token)} has id ${id}`);
      }
      tokens[id] = token;
    }
    return new Vocabulary(tokens);
  }

  /** Number of ids (the embedding table's row count). */
  get size(): number {
    return this.tokens.length;
  }

  tokenToId(token: string): number | undefined {
    return this.idOf.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  has(token: string): boolean {
    return this.idOf.has(token);
  }

  /** vocab.txt contents: one token per line, newline-terminated. */
  toText(): string {
    for (const t of this.tokens) {
      if (t.includes('\n') || t !== trimEndWhitespace(t)) {
        throw new Error(`token ${JSON.stringify(t)} cannot be written to vocab.txt (newline or trailing whitespace)`);
      }
    }
    return this.tokens.join('\n') + '\n';
  }

  /** token -> id object (tokenizer.json's `model.vocab`). */
  toRecord(): Record<string, number> {
    const record: Record<string, number> = {};
    this.tokens.forEach((t, id) => (record[t] = id));
    return record;
  }
}

function trimEndWhitespace(line: string): string {
  let end = line.length;
  while (end > 0) {
    const cp = line.codePointAt(end - 1)!;
    if (!isWhitespace(cp)) break;
    end--;
  }
  return end === line.length ? line : line.slice(0, end);
}
