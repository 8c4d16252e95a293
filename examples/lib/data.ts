// Labelled texts for the classification demos: SpamAssassin (ham vs spam, shipped with the
// project's devDependencies) split 80/20 with a seed, or a class-folder directory (aclImdb's
// layout, seed 003): either a root with train/ and test/ (aclImdb/, `unsup` skipped) or one folder
// of class folders, split with the seed. Everything is read into memory: the demos' corpora are
// a few thousand documents; `limit` caps a large directory.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Random, loadSpamAssassin, textDatasetFromDirectory, trainTestSplit, type TextDirectoryData } from '../../src/node.ts';

export interface LabelledTexts {
  texts: string[];
  labels: number[];
}

export interface ClassificationData {
  /** What was loaded, for the printout: 'SpamAssassin (shipped)' or the directory. */
  source: string;
  classNames: string[];
  train: LabelledTexts;
  test: LabelledTexts;
  /** How the test set was made: 'a seeded 20% split' or 'aclImdb/test'. */
  testSplit: string;
}

export interface LoadOptions {
  /** A class-folder directory instead of SpamAssassin. */
  data?: string;
  seed: number;
  /** Test fraction when the data has no test set of its own. Default 0.2. */
  testFraction?: number;
  /** At most this many training examples (and a quarter as many test examples); 0 = all. */
  limit?: number;
}

export async function loadClassificationData(options: LoadOptions): Promise<ClassificationData> {
  const { data, seed, testFraction = 0.2, limit = 0 } = options;
  let out: ClassificationData;
  if (!data) {
    const corpus = loadSpamAssassin();
    const all: { text: string; label: number }[] = [];
    for await (const ex of corpus.examples) all.push({ text: ex.text, label: ex.label! });
    const { train, test } = trainTestSplit(all, { testFraction, seed });
    out = { source: `SpamAssassin public corpus (${all.length} mails, shipped)`, classNames: corpus.classNames, train: columns(train), test: columns(test), testSplit: `a seeded ${pct(testFraction)} split` };
  } else {
    checkDirectory(data);
    const hasSplits = isDirectory(join(data, 'train')) && isDirectory(join(data, 'test'));
    if (hasSplits) {
      // aclImdb/: train/{neg,pos,unsup}, test/{neg,pos}
      const train = textDatasetFromDirectory(join(data, 'train'), { skip: ['unsup'], seed });
      const test = textDatasetFromDirectory(join(data, 'test'), { skip: ['unsup'], seed, classNames: train.classNames });
      out = { source: `${data} (train/ and test/)`, classNames: train.classNames, train: await read(train, limit), test: await read(test, limit && Math.ceil(limit / 4)), testSplit: `${join(data, 'test')}` };
    } else {
      const { training, validation } = textDatasetFromDirectory(data, { skip: ['unsup'], validationSplit: testFraction, subset: 'both', seed });
      out = { source: data, classNames: training.classNames, train: await read(training, limit), test: await read(validation, limit && Math.ceil(limit / 4)), testSplit: `a seeded ${pct(testFraction)} split` };
    }
  }
  if (!data && limit) {
    out.train = take(out.train, limit, seed);
    out.test = take(out.test, Math.ceil(limit / 4), seed + 1);
  }
  if (out.classNames.length < 2) throw new Error(`${data}: found ${out.classNames.length} class folder(s); a classifier needs at least 2`);
  if (!out.train.texts.length || !out.test.texts.length) throw new Error(`${data ?? 'SpamAssassin'}: the training or test split is empty`);
  return out;
}

/** Splits off a seeded validation fraction of a training set (seed 003's validation_split). */
export function splitOff(data: LabelledTexts, fraction: number, seed: number): { train: LabelledTexts; validation: LabelledTexts } {
  const rows = data.texts.map((text, i) => ({ text, label: data.labels[i] }));
  const { train, test } = trainTestSplit(rows, { testFraction: fraction, seed });
  return { train: columns(train), validation: columns(test) };
}

/** Class counts, e.g. "ham 3900, spam 1897". */
export function describeCounts(set: LabelledTexts, classNames: readonly string[]): string {
  const counts = classNames.map(() => 0);
  for (const l of set.labels) counts[l]++;
  return classNames.map((c, i) => `${c} ${counts[i]}`).join(', ');
}

/** Throws a clear error unless `dir` is a readable directory. */
export function checkDirectory(dir: string): void {
  if (!existsSync(dir)) throw new Error(`--data ${dir}: no such directory (expected a folder with one subfolder of .txt files per class, e.g. aclImdb/ or aclImdb/train)`);
  if (!isDirectory(dir)) throw new Error(`--data ${dir}: is a file, not a directory (expected a folder with one subfolder of .txt files per class)`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

async function read(d: TextDirectoryData, limit: number): Promise<LabelledTexts> {
  // The listing is already shuffled with the seed: the first `limit` files are a random sample.
  const n = limit ? Math.min(limit, d.labels.length) : d.labels.length;
  const texts = await d.texts.take(n).toArray();
  return { texts, labels: Array.from(d.labels.subarray(0, n)) };
}

function take(set: LabelledTexts, n: number, seed: number): LabelledTexts {
  if (set.texts.length <= n) return set;
  const order = new Random(seed).shuffle(set.texts.map((_, i) => i)).slice(0, n);
  return { texts: order.map((i) => set.texts[i]), labels: order.map((i) => set.labels[i]) };
}

function columns(rows: readonly { text: string; label: number }[]): LabelledTexts {
  return { texts: rows.map((r) => r.text), labels: rows.map((r) => r.label) };
}

const pct = (f: number) => `${Math.round(f * 100)}%`;
