// The text the whole-model benchmarks train on: Brown's documents, in corpus order, cut into
// WordPiece ids by the shipped preset's vocabulary.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBrown } from '../src/node.ts';

export const VOCAB = join(dirname(fileURLToPath(import.meta.url)), '../presets/bert-tiny-shipped-corpora/vocab.txt');

/** Brown's documents, in corpus order. */
export async function brownDocs(): Promise<string[]> {
  const docs: string[] = [];
  for await (const ex of loadBrown().examples) docs.push(ex.text);
  return docs;
}
