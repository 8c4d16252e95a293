// Hugging Face's BertPreTokenizer: split on whitespace (dropped) and on punctuation (each mark is
// its own word). Works on normalized units, since normalization can create punctuation (U+037E -> ';').
import type { NormalizedText } from './normalized-text.ts';
import { bmpFlagTable, charFlags, PUNCTUATION, WHITESPACE } from './unicode.ts';

/** Calls `onWord(start, end)` with each word's [start, end) range of normalized units in [from, to). */
export function forEachBertWord(
  text: NormalizedText,
  from: number,
  to: number,
  onWord: (start: number, end: number) => void,
): void {
  const flags = bmpFlagTable();
  const units = text.units;
  const n = to;
  let wordStart = -1;
  let i = from;
  while (i < n) {
    const u = units[i]!;
    let width = 1;
    let f: number;
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < n && units[i + 1]! >= 0xdc00 && units[i + 1]! <= 0xdfff) {
      width = 2;
      f = charFlags(((u - 0xd800) << 10) + (units[i + 1]! - 0xdc00) + 0x10000);
    } else {
      f = flags[u]!;
    }
    if (f & (WHITESPACE | PUNCTUATION)) {
      if (wordStart >= 0) onWord(wordStart, i);
      wordStart = -1;
      if (f & PUNCTUATION) onWord(i, i + width);
    } else if (wordStart < 0) {
      wordStart = i;
    }
    i += width;
  }
  if (wordStart >= 0) onWord(wordStart, n);
}

/** Pre-tokenizes a plain string (no normalization): [word, [start, end)] pairs, like HF's preTokenizeString. */
export function bertPreTokenize(text: string): Array<[string, [number, number]]> {
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  const words: Array<[string, [number, number]]> = [];
  const view = { units, length: text.length } as NormalizedText;
  forEachBertWord(view, 0, text.length, (s, e) => words.push([text.slice(s, e), [s, e]]));
  return words;
}
