// Added (special) tokens such as [CLS] or [MASK] are found in the text before anything else and
// become one token each, as HF's AddedVocabulary does: leftmost-longest match, with the optional
// single_word / lstrip / rstrip rules.

export interface AddedToken {
  content: string;
  id: number;
  /** Special tokens can be skipped when decoding. */
  special: boolean;
  /** Match against normalized text (true) or the raw input (false, HF's default for special tokens). */
  normalized: boolean;
  /** Only match when not inside a word. */
  singleWord: boolean;
  /** Swallow whitespace on the left / right into the token. */
  lstrip: boolean;
  rstrip: boolean;
}

/** One piece of a split: an added token (id >= 0) or plain text (id = -1), as [start, end). */
export interface Piece {
  start: number;
  end: number;
  id: number;
}

const WORD_CHAR = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const SPACE = /\s/u;

export class AddedTokenMatcher {
  private readonly pattern: RegExp | undefined;
  private readonly byContent: Map<string, AddedToken>;

  constructor(tokens: readonly AddedToken[]) {
    this.byContent = new Map(tokens.filter((t) => t.content !== '').map((t) => [t.content, t]));
    const contents = [...this.byContent.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    // Longest first, so at the leftmost position the alternation picks the longest token.
    this.pattern = contents.length === 0 ? undefined : new RegExp(contents.map(escapeRegExp).join('|'), 'g');
  }

  get isEmpty(): boolean {
    return this.pattern === undefined;
  }

  /** Splits s[from, to) into pieces covering it entirely. */
  split(s: string, from: number, to: number): Piece[] {
    const pieces: Piece[] = [];
    let cursor = from;
    if (this.pattern) {
      const re = this.pattern;
      re.lastIndex = from;
      let m: RegExpExecArray | null;
      while ((m = re.exec(s)) !== null && m.index < to) {
        let start = m.index;
        let stop = start + m[0].length;
        if (stop > to) break;
        const token = this.byContent.get(m[0])!;
        if (token.singleWord) {
          const before = start > from && WORD_CHAR.test(charBefore(s, start));
          const after = stop < to && WORD_CHAR.test(charAt(s, stop));
          // Matches do not overlap, so a rejected one is skipped whole (as HF's iterator does).
          if (before || after) continue;
        }
        if (token.lstrip) {
          let k = start;
          while (k > cursor && SPACE.test(charBefore(s, k))) k -= charBefore(s, k).length;
          start = k;
        }
        if (token.rstrip) {
          while (stop < to && SPACE.test(charAt(s, stop))) stop += charAt(s, stop).length;
        }
        if (cursor < start) pieces.push({ start: cursor, end: start, id: -1 });
        pieces.push({ start, end: stop, id: token.id });
        cursor = stop;
        re.lastIndex = stop;
      }
    }
    if (cursor < to) pieces.push({ start: cursor, end: to, id: -1 });
    return pieces;
  }
}

function charAt(s: string, i: number): string {
  return String.fromCodePoint(s.codePointAt(i)!);
}

function charBefore(s: string, i: number): string {
  const low = s.charCodeAt(i - 1);
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) {
    const high = s.charCodeAt(i - 2);
    if (high >= 0xd800 && high <= 0xdbff) return s.slice(i - 2, i);
  }
  return s[i - 1]!;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
