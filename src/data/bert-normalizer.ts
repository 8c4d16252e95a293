// Hugging Face's BertNormalizer, step for step: clean_text, handle_chinese_chars, strip_accents
// (NFD then drop Mn), lowercase. Each step works per character, as HF's does, and every output
// unit keeps the span of the original character it came from.
import { NormalizedText } from './normalized-text.ts';
import { bmpFlagTable, charFlags, CHINESE, NONSPACING_MARK, REMOVED, WHITESPACE } from './unicode.ts';

export interface BertNormalizerOptions {
  /** Remove \0, U+FFFD and control characters; turn every whitespace into ' '. Default true. */
  cleanText?: boolean;
  /** Put spaces around CJK ideographs so each becomes a word. Default true. */
  handleChineseChars?: boolean;
  /** NFD, then drop nonspacing marks. Default: follows `lowercase`, as in HF. */
  stripAccents?: boolean;
  /** Lowercase each character. Default true. */
  lowercase?: boolean;
}

export interface ResolvedBertNormalizerOptions {
  cleanText: boolean;
  handleChineseChars: boolean;
  stripAccents: boolean;
  lowercase: boolean;
}

const DROP = -1;

export class BertNormalizer {
  readonly options: ResolvedBertNormalizerOptions;
  /** What each ASCII code unit becomes: a unit, or DROP. */
  private readonly ascii: Int16Array;
  /** Memo of non-ASCII code point -> replacement (after accents and case), per instance options. */
  private readonly memo = new Map<number, string>();

  constructor(options: BertNormalizerOptions = {}) {
    const lowercase = options.lowercase ?? true;
    this.options = {
      cleanText: options.cleanText ?? true,
      handleChineseChars: options.handleChineseChars ?? true,
      stripAccents: options.stripAccents ?? lowercase,
      lowercase,
    };
    this.ascii = new Int16Array(128);
    const flags = bmpFlagTable();
    for (let c = 0; c < 128; c++) {
      let out = c;
      if (this.options.cleanText && flags[c]! & REMOVED) out = DROP;
      else if (this.options.cleanText && flags[c]! & WHITESPACE) out = 32;
      else if (this.options.lowercase && c >= 65 && c <= 90) out = c + 32;
      this.ascii[c] = out;
    }
  }

  /** Normalizes text[from, to) and appends it to `out`. */
  normalizeInto(text: string, from: number, to: number, out: NormalizedText): void {
    out.reserve(to - from);
    const ascii = this.ascii;
    const { cleanText, handleChineseChars } = this.options;
    let i = from;
    while (i < to) {
      const c = text.charCodeAt(i);
      if (c < 128) {
        const mapped = ascii[c]!;
        if (mapped !== DROP) {
          const k = out.length++;
          out.units[k] = mapped;
          out.starts[k] = i;
          out.ends[k] = i + 1;
        }
        i++;
        continue;
      }
      let cp = c;
      let width = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = ((c - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
          width = 2;
        }
      }
      // A lone surrogate cannot cross into Rust: HF sees U+FFFD there, which clean_text removes.
      if (width === 1 && c >= 0xd800 && c <= 0xdfff) cp = 0xfffd;
      const flags = charFlags(cp);
      const end = i + width;
      if (cleanText && flags & REMOVED) {
        i = end;
        continue;
      }
      if (cleanText && flags & WHITESPACE) {
        out.pushString(' ', i, end);
      } else if (handleChineseChars && flags & CHINESE) {
        out.pushString(' ', i, end);
        // Later steps still apply: NFD maps compatibility ideographs (U+F900...) to unified ones.
        out.pushString(this.replacement(cp), i, end);
        out.pushString(' ', i, end);
      } else {
        out.pushString(this.replacement(cp), i, end);
      }
      i = end;
    }
  }

  /** The normalized string (no offsets); handy for tests and for matching added tokens. */
  normalize(text: string): string {
    const out = new NormalizedText();
    this.normalizeInto(text, 0, text.length, out);
    return out.toString();
  }

  /** What a non-ASCII code point becomes after strip_accents and lowercase. */
  private replacement(cp: number): string {
    let r = this.memo.get(cp);
    if (r !== undefined) return r;
    const original = String.fromCodePoint(cp);
    let chars: string[] = [original];
    if (this.options.stripAccents) {
      chars = [...original.normalize('NFD')].filter((ch) => !(charFlags(ch.codePointAt(0)!) & NONSPACING_MARK));
    }
    // Per character, as HF's Rust `char::to_lowercase` (so no final-sigma context rule).
    if (this.options.lowercase) chars = chars.map((ch) => ch.toLowerCase());
    r = chars.join('');
    if (this.memo.size < 65536) this.memo.set(cp, r);
    return r;
  }
}
