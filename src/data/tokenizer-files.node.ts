// Loads a WordPieceTokenizer from a vocab.txt or tokenizer.json path.
import { readFileSync } from 'node:fs';
import { WordPieceTokenizer, type WordPieceTokenizerOptions } from './wordpiece-tokenizer.ts';

/** `path` ending in .json is read as HF tokenizer.json (options ignored); anything else as vocab.txt. */
export function loadWordPieceTokenizer(path: string, options: WordPieceTokenizerOptions = {}): WordPieceTokenizer {
  const text = readFileSync(path, 'utf8');
  return path.endsWith('.json') ? WordPieceTokenizer.fromTokenizerJson(text, path) : WordPieceTokenizer.fromVocab(text, options);
}
