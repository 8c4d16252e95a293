// Corpus loaders (counts and labels) and the mail-to-text conversion they use.
import { describe, expect, it } from 'vitest';
import { brownToText, emailToText } from '../src/data/index.ts';
import { loadBrown, loadMobyDick, loadSpamAssassin, loadStateOfTheUnion } from '../src/data/index.node.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('emailToText', () => {
  it('keeps Subject and body, drops other headers', () => {
    const mail = emailToText(bytes('From someone  Thu Aug 22\nReceived: from x\n  by y\nSubject: Hello there\nX-Spam: yes\n\nBody line 1\nBody line 2\n'));
    expect(mail.text).toBe('Hello there\n\nBody line 1\nBody line 2');
  });

  it('decodes quoted-printable, base64, charsets and RFC 2047 subjects; drops and counts attachments', () => {
    const raw = [
      'Subject: =?ISO-8859-1?Q?Caf=E9_au_lait?=',
      'Content-Type: multipart/mixed; boundary="XYZ"',
      '',
      'preamble',
      '--XYZ',
      'Content-Type: text/plain; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'na=EFve soft=',
      'break',
      '--XYZ',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('<p>Hi &amp; <b>bye</b></p>').toString('base64'),
      '--XYZ',
      'Content-Type: image/gif',
      'Content-Transfer-Encoding: base64',
      '',
      'R0lGODlhAQABAAAAACw=',
      '--XYZ--',
    ].join('\n');
    const mail = emailToText(bytes(raw));
    expect(mail.subject).toBe('Café au lait');
    expect(mail.text).toBe('Café au lait\n\nnaïve softbreak\n\nHi & bye');
    expect(mail.droppedAttachments).toBe(1);
    expect(mail.invalidTextParts).toBe(0);
  });

  it('prefers text/plain in multipart/alternative and counts invalid UTF-8', () => {
    const raw = 'Subject: alt\nContent-Type: multipart/alternative; boundary=B\n\n--B\nContent-Type: text/plain\n\nplain \xff text\n--B\nContent-Type: text/html\n\n<b>html</b>\n--B--\n';
    const mail = emailToText(Uint8Array.from(raw, (c) => c.charCodeAt(0)));
    expect(mail.text).toBe('alt\n\nplain \ufffd text');
    expect(mail.invalidTextParts).toBe(1);
    expect(emailToText(Uint8Array.from(raw, (c) => c.charCodeAt(0)), { fallback: 'latin1' }).text).toBe('alt\n\nplain ÿ text');
  });
});

describe('brownToText', () => {
  it('drops tags, turns `` and \'\' into quotes, one sentence per line', () => {
    expect(brownToText("\n\n\tThe/at jury/nn said/vbd ``/`` no/at ''/'' ./.\n\n\tA/at 1/2/cd cup/nn\n")).toBe('The jury said " no " .\nA 1/2 cup');
  });
});

describe('corpus loaders', () => {
  it('SpamAssassin: 6046 mails, ham/spam and group labels, odd input counted', async () => {
    const corpus = loadSpamAssassin();
    expect(corpus.classNames).toEqual(['ham', 'spam']);
    expect(corpus.summary.filesPerClass).toEqual({ ham: 4150, spam: 1896 });
    const examples = await corpus.examples.toArray();
    expect(examples).toHaveLength(6046);
    expect(examples.filter((e) => e.label === 1)).toHaveLength(1896);
    expect(corpus.summary.read).toBe(6046);
    expect(corpus.summary.droppedAttachments).toBeGreaterThan(50);
    expect(corpus.summary.invalidEncoding).toBeGreaterThan(50);
    // Headers are gone; only a few bodies quote forwarded mails that contain header lines.
    expect(examples.filter((e) => e.text.includes('Return-Path:')).length).toBeLessThan(20);
    expect(examples.every((e) => !/^(From \S+@|Return-Path:|Received:)/.test(e.text))).toBe(true);
    const grouped = loadSpamAssassin({ labels: 'group' });
    expect(grouped.classNames).toEqual(['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2']);
    expect(grouped.summary.filesPerClass).toEqual({ 'easy-ham-1': 2500, 'easy-ham-2': 1400, 'hard-ham-1': 250, 'spam-1': 500, 'spam-2': 1396 });
    const first = await grouped.examples.take(1).toArray();
    expect(first[0]!.label).toBe(0);
    expect(first[0]!.text.startsWith('Re: New Sequences Window')).toBe(true);
  });

  it('Brown: 500 documents in 15 genres', async () => {
    const corpus = loadBrown();
    expect(corpus.classNames).toHaveLength(15);
    expect(corpus.summary.filesPerClass.news).toBe(44);
    expect(corpus.summary.documents).toBe(500);
    const [first] = await corpus.examples.take(1).toArray();
    expect(first!.id).toBe('ca01');
    expect(corpus.classNames[first!.label]).toBe('news');
    expect(first!.text.startsWith('The Fulton County Grand Jury said Friday')).toBe(true);
  });

  it('Moby-Dick and State of the Union', async () => {
    const moby = await loadMobyDick().examples.toArray();
    expect(moby).toHaveLength(138);
    expect(moby.some((e) => e.text.includes('Call me Ishmael.'))).toBe(true);
    const sotu = loadStateOfTheUnion();
    expect(sotu.classNames).toContain('Republican');
    const speeches = await sotu.examples.toArray();
    expect(speeches.length).toBe(sotu.summary.documents);
    expect(speeches[0]!.id).toMatch(/^1790_/);
    expect(sotu.classNames[speeches[0]!.label]).toBe('none');
  });
});
