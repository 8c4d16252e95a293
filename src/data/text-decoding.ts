// Bytes -> text for corpora whose files are not all UTF-8: strict UTF-8 first, then the caller's
// fallback, and the result says which happened so loaders can count it.

export type DecodeFallback = 'replace' | 'latin1';

export interface DecodedText {
  text: string;
  /** 'utf-8' when the bytes were valid UTF-8 (or the named charset decoded them), else the fallback used. */
  decodedAs: string;
  /** True when the bytes were not valid in the expected encoding. */
  invalid: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('windows-1252');

/**
 * Decodes bytes as UTF-8 (a leading BOM is dropped); invalid input is decoded with U+FFFD
 * replacements ('replace', like Python's errors='replace') or as Windows-1252 ('latin1').
 */
export function decodeUtf8(bytes: Uint8Array, fallback: DecodeFallback = 'replace'): DecodedText {
  try {
    return { text: strictUtf8.decode(bytes), decodedAs: 'utf-8', invalid: false };
  } catch {
    if (fallback === 'latin1') return { text: latin1.decode(bytes), decodedAs: 'windows-1252', invalid: true };
    return { text: lenientUtf8.decode(bytes), decodedAs: 'utf-8 (replaced)', invalid: true };
  }
}

/** Decodes with a declared charset (e.g. from a MIME header); unknown or failing charsets fall back to decodeUtf8. */
export function decodeWithCharset(bytes: Uint8Array, charset: string | undefined, fallback: DecodeFallback = 'replace'): DecodedText {
  const label = charset?.trim().toLowerCase();
  if (!label || label === 'utf-8' || label === 'utf8' || label === 'us-ascii' || label === 'ascii') {
    return decodeUtf8(bytes, fallback);
  }
  try {
    return { text: new TextDecoder(label, { fatal: true }).decode(bytes), decodedAs: label, invalid: false };
  } catch {
    return decodeUtf8(bytes, fallback);
  }
}

/** A string holding one byte per char (0-255) -> bytes. */
export function binaryStringToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Bytes -> a string with one char per byte (lossless, for parsing mixed binary/text formats). */
export function bytesToBinaryString(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return out;
}
