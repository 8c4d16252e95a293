// Keras' text_dataset_from_directory for the aclImdb layout: one subfolder per class, .txt files
// inside (searched recursively). Files are listed up front and read only when iterated.
import { readdirSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Dataset } from './dataset.ts';
import { Random } from './random.ts';
import { newSummary, ReadTally, type LoadSummary, type TextExample } from './text-corpus.ts';
import { decodeUtf8, type DecodeFallback } from './text-decoding.ts';

export interface TextDirectoryOptions {
  /** Class folder names, in label order. Default: every subfolder (minus `skip`), sorted. */
  classNames?: readonly string[];
  /** Subfolders that are not classes, e.g. ['unsup'] for aclImdb/train. */
  skip?: readonly string[];
  /** Fraction held out for validation, e.g. 0.2. */
  validationSplit?: number;
  /** Which part to return when validationSplit is set. */
  subset?: 'training' | 'validation' | 'both';
  /** Shuffle the file list (default true); required with validationSplit + shuffle. */
  seed?: number;
  shuffle?: boolean;
  /** File name endings to read. Default ['.txt']. */
  extensions?: readonly string[];
  /** For files that are not valid UTF-8. Default 'replace'. */
  fallback?: DecodeFallback;
}

export interface TextDirectoryData {
  examples: Dataset<TextExample>;
  texts: Dataset<string>;
  /** Label of each example, known without reading any file. */
  labels: Int32Array;
  classNames: string[];
  /** Paths of the files, relative to the directory, in dataset order. */
  files: string[];
  /** Shared by both subsets of one call. */
  summary: LoadSummary;
}

export function textDatasetFromDirectory(dir: string, options: TextDirectoryOptions & { subset: 'both' }): { training: TextDirectoryData; validation: TextDirectoryData };
export function textDatasetFromDirectory(dir: string, options?: TextDirectoryOptions): TextDirectoryData;
export function textDatasetFromDirectory(dir: string, options: TextDirectoryOptions = {}): TextDirectoryData | { training: TextDirectoryData; validation: TextDirectoryData } {
  const summary = newSummary(dir);
  const classNames = findClasses(dir, options, summary);
  const extensions = options.extensions ?? ['.txt'];
  let entries: Array<{ file: string; label: number }> = [];
  classNames.forEach((name, label) => {
    // The root counts as read: a link back to it from inside a class folder is a cycle.
    const files = listFiles(join(dir, name), extensions, summary, dir, new Set([realpathSync(dir)])).sort();
    summary.filesPerClass[name] = files.length;
    for (const file of files) entries.push({ file: relative(dir, file), label });
  });
  if (entries.length === 0) {
    throw new Error(`${dir}: found no ${extensions.join('/')} files in the class folders ${classNames.join(', ')}`);
  }
  const shuffle = options.shuffle ?? true;
  const split = options.validationSplit;
  if (split !== undefined) {
    if (!(split > 0 && split < 1)) throw new RangeError(`validationSplit must be in (0, 1), got ${split}`);
    if (!options.subset) throw new Error("validationSplit needs subset: 'training', 'validation' or 'both'");
    if (shuffle && options.seed === undefined) throw new Error('validationSplit with shuffling needs a seed, so the two subsets do not overlap');
  }
  if (shuffle) entries = new Random(options.seed ?? Math.floor(Math.random() * 2 ** 32)).shuffle(entries);
  const tally = new ReadTally(summary, entries.length);
  const make = (part: typeof entries, offset: number): TextDirectoryData => {
    const examples = Dataset.fromArray(part).map(async ({ file, label }, i): Promise<TextExample> => {
      const d = decodeUtf8(await readFile(join(dir, file)), options.fallback);
      tally.record(offset + i, d.text, { invalid: d.invalid ? 1 : 0 });
      return { id: file, text: d.text, label };
    });
    return {
      examples,
      texts: examples.map((e) => e.text),
      labels: Int32Array.from(part, (e) => e.label),
      classNames: [...classNames],
      files: part.map((e) => e.file),
      summary,
    };
  };
  if (split === undefined) {
    summary.documents = entries.length;
    return make(entries, 0);
  }
  const nVal = Math.floor(split * entries.length);
  if (nVal === 0 || nVal === entries.length) {
    const side = nVal === 0 ? 'validation' : 'training';
    throw new Error(`${dir}: validationSplit ${split} of ${entries.length} files leaves the ${side} subset empty (${entries.length - nVal} training, ${nVal} validation); use more files or another split`);
  }
  const cut = entries.length - nVal;
  const training = make(entries.slice(0, cut), 0);
  const validation = make(entries.slice(cut), cut);
  if (options.subset === 'both') {
    summary.documents = entries.length;
    return { training, validation };
  }
  summary.documents = options.subset === 'training' ? cut : nVal;
  return options.subset === 'training' ? training : validation;
}

/**
 * What a directory entry is, following symlinks: a link to a folder or file counts as one. A link
 * that is dangling or loops is reported in the summary with its path and reason, and skipped.
 */
function kindOf(d: Dirent, path: string, summary: LoadSummary, root: string): 'dir' | 'file' | null {
  if (d.isDirectory()) return 'dir';
  if (d.isFile()) return 'file';
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'a symlink to nothing (dangling)' : code === 'ELOOP' ? 'a symlink loop' : `unreadable (${code ?? (e as Error).message})`;
    summary.skipped.push({ path: relative(root, path), reason });
    return null;
  }
  return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
}

function findClasses(dir: string, options: TextDirectoryOptions, summary: LoadSummary): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true }).filter((d) => kindOf(d, join(dir, d.name), summary, dir) === 'dir').map((d) => d.name);
  } catch (e) {
    throw new Error(`${dir}: cannot read the directory (${(e as Error).message}); expected a folder with one subfolder per class`);
  }
  const skip = new Set(options.skip ?? []);
  for (const name of names) if (skip.has(name)) summary.skipped.push({ path: name, reason: 'in skip list' });
  if (options.classNames) {
    for (const c of options.classNames) {
      if (!names.includes(c)) throw new Error(`${dir}: class folder "${c}" not found (folders: ${names.join(', ') || 'none'})`);
    }
    return [...options.classNames];
  }
  const classes = names.filter((n) => !skip.has(n)).sort();
  if (classes.length === 0) {
    throw new Error(`${dir}: no class subfolders found; expected one subfolder per class (e.g. pos/ and neg/) holding .txt files`);
  }
  return classes;
}

/** Text files under `folder`, recursively, following symlinks; a folder reached twice (a link to an ancestor) is read once. */
function listFiles(folder: string, extensions: readonly string[], summary: LoadSummary, root: string, seen = new Set<string>()): string[] {
  const real = realpathSync(folder);
  if (seen.has(real)) {
    summary.skipped.push({ path: relative(root, folder), reason: 'a folder already read (a symlink cycle)' });
    return [];
  }
  seen.add(real);
  const out: string[] = [];
  for (const d of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, d.name);
    const kind = kindOf(d, path, summary, root);
    if (kind === 'dir') out.push(...listFiles(path, extensions, summary, root, seen));
    else if (kind === null) {
      if (d.isSymbolicLink()) continue; // reported by kindOf
      summary.skipped.push({ path: relative(root, path), reason: 'not a regular file' });
    } else if (!extensions.some((ext) => d.name.endsWith(ext))) summary.skipped.push({ path: relative(root, path), reason: 'not a text file' });
    else out.push(path);
  }
  return out;
}
