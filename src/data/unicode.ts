// Character classes for the BERT normalizer and pre-tokenizer, as Hugging Face defines them.
// Flags for the BMP live in a 64 KiB table built on first use; astral code points use binary search.
import {
  NONSPACING_MARK_RANGES,
  PUNCTUATION_RANGES,
  REMOVED_RANGES,
  WHITESPACE_RANGES,
} from './unicode-tables.ts';

/** Dropped by clean_text (\0, U+FFFD, control/format/private-use). */
export const REMOVED = 1;
/** Whitespace (Rust char::is_whitespace, plus \t \n \r). */
export const WHITESPACE = 2;
/** BERT punctuation: ASCII punctuation or Unicode P*. */
export const PUNCTUATION = 4;
/** Nonspacing mark, dropped when stripping accents. */
export const NONSPACING_MARK = 8;
/** CJK ideograph that handle_chinese_chars isolates as its own word. */
export const CHINESE = 16;

// HF's is_chinese_char ranges (inclusive).
const CHINESE_RANGES: readonly number[] = [
  0x4e00, 0x9fff, 0x3400, 0x4dbf, 0x20000, 0x2a6df, 0x2a700, 0x2b73f,
  0x2b740, 0x2b81f, 0x2b920, 0x2ceaf, 0xf900, 0xfaff, 0x2f800, 0x2fa1f,
];

const TABLES: ReadonlyArray<readonly [number, readonly number[]]> = [
  [REMOVED, REMOVED_RANGES],
  [WHITESPACE, WHITESPACE_RANGES],
  [PUNCTUATION, PUNCTUATION_RANGES],
  [NONSPACING_MARK, NONSPACING_MARK_RANGES],
  [CHINESE, CHINESE_RANGES],
];

let bmpFlags: Uint8Array | undefined;
let astral: { starts: Int32Array; ends: Int32Array; flags: Uint8Array } | undefined;

function build(): void {
  const bmp = new Uint8Array(0x10000);
  const spans: Array<[number, number, number]> = [];
  for (const [flag, ranges] of TABLES) {
    for (let i = 0; i < ranges.length; i += 2) {
      const first = ranges[i]!;
      const last = ranges[i + 1]!;
      for (let cp = first; cp <= Math.min(last, 0xffff); cp++) bmp[cp]! |= flag;
      if (last > 0xffff) spans.push([Math.max(first, 0x10000), last, flag]);
    }
  }
  // Astral spans of different flags never overlap, so a sorted list answers with one search.
  spans.sort((a, b) => a[0] - b[0]);
  astral = {
    starts: Int32Array.from(spans, (s) => s[0]),
    ends: Int32Array.from(spans, (s) => s[1]),
    flags: Uint8Array.from(spans, (s) => s[2]),
  };
  bmpFlags = bmp;
}

/** Flags for every BMP code unit (lone surrogates get 0). Shared: do not modify. */
export function bmpFlagTable(): Uint8Array {
  if (!bmpFlags) build();
  return bmpFlags!;
}

/** Class flags (REMOVED | WHITESPACE | ...) of one code point. */
export function charFlags(cp: number): number {
  if (cp < 0x10000) return bmpFlagTable()[cp]!;
  if (!astral) build();
  const { starts, ends, flags } = astral!;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cp < starts[mid]!) hi = mid - 1;
    else if (cp > ends[mid]!) lo = mid + 1;
    else return flags[mid]!;
  }
  return 0;
}

/** True for the code points HF's Rust `trim_end` and BERT splitting treat as whitespace. */
export function isWhitespace(cp: number): boolean {
  return (charFlags(cp) & WHITESPACE) !== 0;
}
