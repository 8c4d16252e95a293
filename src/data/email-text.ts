// Turns a raw RFC 822 / MIME mail into the text worth tokenizing: the Subject line, a blank line,
// then the text of the body. Headers other than Subject are dropped; multipart bodies keep their
// text parts (text/plain preferred over its text/html alternative); quoted-printable and base64 are
// decoded, declared charsets honoured; non-text parts (images, zips, ...) are dropped and counted.
import { binaryStringToBytes, bytesToBinaryString, decodeWithCharset, type DecodeFallback } from './text-decoding.ts';
import { htmlToText } from './html-text.ts';

export interface EmailTextOptions {
  /** 'strip' (default): HTML parts become plain text; 'keep': raw markup. */
  html?: 'strip' | 'keep';
  /** For text that is not valid in its declared (or assumed UTF-8) charset. Default 'replace'. */
  fallback?: DecodeFallback;
}

export interface EmailText {
  text: string;
  subject: string;
  /** Non-text MIME parts that were dropped. */
  droppedAttachments: number;
  /** Text parts (or headers) whose bytes were invalid in their charset and went through the fallback. */
  invalidTextParts: number;
}

interface Entity {
  headers: Map<string, string>;
  body: string; // binary string: one char per byte
}

interface Walk {
  options: Required<EmailTextOptions>;
  dropped: number;
  invalid: number;
}

export function emailToText(raw: Uint8Array, options: EmailTextOptions = {}): EmailText {
  const walk: Walk = { options: { html: options.html ?? 'strip', fallback: options.fallback ?? 'replace' }, dropped: 0, invalid: 0 };
  const entity = parseEntity(bytesToBinaryString(raw));
  const subject = decodeHeader(entity.headers.get('subject') ?? '', walk).trim();
  const body = entityText(entity, walk).trim();
  return {
    text: subject ? `${subject}\n\n${body}` : body,
    subject,
    droppedAttachments: walk.dropped,
    invalidTextParts: walk.invalid,
  };
}

function parseEntity(s: string): Entity {
  const split = /\r?\n\r?\n/.exec(s);
  const head = split ? s.slice(0, split.index) : s;
  const body = split ? s.slice(split.index + split[0].length) : '';
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      headers.set(last, `${headers.get(last)!} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    // The mbox "From sender date" line and other junk have no "name:" and are skipped.
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) continue;
    const name = line.slice(0, colon).toLowerCase();
    last = name;
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    else last = undefined; // keep the first occurrence; ignore continuation of repeats
  }
  // A message with no header block at all is all body.
  if (headers.size === 0) return { headers, body: s };
  return { headers, body };
}

interface ContentType {
  type: string;
  params: Map<string, string>;
}

function contentType(e: Entity): ContentType {
  const raw = e.headers.get('content-type') ?? 'text/plain';
  const [type = 'text/plain', ...rest] = raw.split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"(.*)"$/s, '$1'));
  }
  return { type: type.trim().toLowerCase() || 'text/plain', params };
}

function entityText(e: Entity, walk: Walk): string {
  const ct = contentType(e);
  if (ct.type.startsWith('multipart/')) {
    const parts = splitMultipart(e.body, ct.params.get('boundary')).map(parseEntity);
    if (ct.type === 'multipart/alternative') {
      const plain = parts.find((p) => contentType(p).type === 'text/plain');
      const chosen = plain ?? parts.find((p) => contentType(p).type.startsWith('text/')) ?? parts[0];
      return chosen ? entityText(chosen, walk) : '';
    }
    return parts.map((p) => entityText(p, walk).trim()).filter((t) => t !== '').join('\n\n');
  }
  if (ct.type === 'message/rfc822') return entityText(parseEntity(e.body), walk);
  if (!ct.type.startsWith('text/')) {
    walk.dropped++;
    return '';
  }
  const bytes = binaryStringToBytes(transferDecode(e.body, e.headers.get('content-transfer-encoding')));
  const decoded = decodeWithCharset(bytes, ct.params.get('charset'), walk.options.fallback);
  if (decoded.invalid) walk.invalid++;
  const isHtml = ct.type === 'text/html';
  return isHtml && walk.options.html === 'strip' ? htmlToText(decoded.text) : decoded.text;
}

function splitMultipart(body: string, boundary: string | undefined): string[] {
  // No boundary: treat the whole body as one text part rather than losing it.
  if (!boundary) return [`Content-Type: text/plain\n\n${body}`];
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    if (line.startsWith(delimiter)) {
      if (current) parts.push(current.join('\n'));
      if (line.slice(delimiter.length).startsWith('--')) return parts;
      current = [];
    } else if (current) {
      current.push(line);
    }
  }
  if (current) parts.push(current.join('\n'));
  return parts;
}

/** Undoes quoted-printable or base64; returns a binary string. */
function transferDecode(body: string, encoding: string | undefined): string {
  const enc = encoding?.trim().toLowerCase();
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body);
  if (enc === 'base64') return decodeBase64(body);
  return body;
}

export function decodeQuotedPrintable(s: string): string {
  return s.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function decodeBase64(s: string): string {
  let clean = s.replace(/[^A-Za-z0-9+/]/g, '');
  clean = clean.slice(0, clean.length - (clean.length % 4 === 1 ? 1 : 0));
  while (clean.length % 4 !== 0) clean += '=';
  try {
    return atob(clean);
  } catch {
    return '';
  }
}

/** RFC 2047 encoded words (=?charset?B|Q?...?=) in a header; raw 8-bit bytes are decoded as UTF-8. */
function decodeHeader(value: string, walk: Walk): string {
  const decodeBytes = (binary: string, charset: string | undefined) => {
    const d = decodeWithCharset(binaryStringToBytes(binary), charset, walk.options.fallback);
    if (d.invalid) walk.invalid++;
    return d.text;
  };
  const parts: string[] = [];
  let last = 0;
  const re = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    const between = value.slice(last, m.index);
    // Whitespace between two encoded words is not part of the text.
    if (!(parts.length > 0 && /^\s*$/.test(between))) parts.push(decodeBytes(between, undefined));
    const [, charset, kind, data] = m;
    const binary = kind!.toUpperCase() === 'B' ? decodeBase64(data!) : decodeQuotedPrintable(data!.replace(/_/g, ' '));
    parts.push(decodeBytes(binary, charset!.split('*')[0]));
    last = m.index + m[0].length;
  }
  parts.push(decodeBytes(value.slice(last), undefined));
  return parts.join('');
}
