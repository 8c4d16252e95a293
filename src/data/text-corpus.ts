// What every text loader returns: a lazy dataset of labelled texts, the class names, and a
// summary that counts what was odd about the input (bad bytes, empty files, dropped parts).
import type { Dataset } from './dataset.ts';

export interface TextExample {
  /** Where the text came from (a relative file path or a document id). */
  id: string;
  text: string;
  /** Index into `classNames`. */
  label: number;
}

export interface LoadSummary {
  /** Directory the data was read from. */
  root: string;
  /** Files (documents) listed, per class name. */
  filesPerClass: Record<string, number>;
  /** Documents in the returned dataset(s). */
  documents: number;
  /** Files skipped before reading (e.g. a `skip` folder, non-files), with the reason. */
  skipped: Array<{ path: string; reason: string }>;
  // The counters below grow as documents are read (datasets are lazy); each document counts once.
  /** Documents read so far. */
  read: number;
  /** Documents whose text was empty (kept as ''). */
  emptyDocuments: number;
  /** Documents (or MIME parts) with bytes that were not valid UTF-8 / their charset, decoded with the fallback. */
  invalidEncoding: number;
  /** Binary attachments dropped from mails. */
  droppedAttachments: number;
}

export interface TextCorpus {
  name: string;
  examples: Dataset<TextExample>;
  classNames: string[];
  summary: LoadSummary;
}

export function newSummary(root: string): LoadSummary {
  return { root, filesPerClass: {}, documents: 0, skipped: [], read: 0, emptyDocuments: 0, invalidEncoding: 0, droppedAttachments: 0 };
}

/** Counts a document's oddities once, however often the dataset is iterated. */
export class ReadTally {
  private readonly seen: Uint8Array;
  constructor(private readonly summary: LoadSummary, count: number) {
    this.seen = new Uint8Array(count);
  }

  record(index: number, text: string, extra: { invalid?: number; dropped?: number } = {}): void {
    if (this.seen[index]) return;
    this.seen[index] = 1;
    this.summary.read++;
    if (text === '') this.summary.emptyDocuments++;
    this.summary.invalidEncoding += extra.invalid ?? 0;
    this.summary.droppedAttachments += extra.dropped ?? 0;
  }
}
