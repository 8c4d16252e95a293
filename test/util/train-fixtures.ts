// Tiny vocabularies, configs and generated tasks for the training and pipeline tests: every
// task is learnable by a 2-layer, 32-wide BERT in a few hundred steps.
import { WordPieceTokenizer } from '../../src/data/wordpiece-tokenizer.ts';
import { BERT_DEFAULTS, type BertConfig } from '../../src/nn/config.ts';
import { rng } from './random.ts';

export const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
export const FILLER = ['the', 'a', 'cat', 'dog', 'house', 'tree', 'river', 'blue', 'small', 'old', 'runs', 'sees', 'near', 'under', 'with', 'and', 'of', 'to', 'in', 'my', 'your', 'very', 'quiet', 'green', 'city', 'road', 'book', 'day', 'night', 'time'];
export const KEYWORDS = ['great', 'awful'];
/** QA answers: a noun, or an adjective then a noun (learnable from the words, wherever they stand). */
export const ADJECTIVES = ['red', 'hot', 'cold', 'seven'];
export const NOUNS = ['coffee', 'cafe', 'tea', 'paris', 'music', 'ice'];
export const ANSWERS = [...ADJECTIVES, ...NOUNS];
const PUNCT = ['.', ',', '?', '!', '-', "'"];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');

/** Specials, words, punctuation, and every lowercase letter with its '##' form (no word becomes [UNK]). */
export function testVocab(extra: readonly string[] = []): string[] {
  const words = [...new Set([...FILLER, ...KEYWORDS, ...ANSWERS, 'is', 'what', 'movie', 'film', 'watched', 'have', 'this', 'it', 'was', 'awesome', 'i', ...extra])];
  return [...new Set([...SPECIALS, ...words, ...PUNCT, ...LETTERS, ...LETTERS.map((l) => `##${l}`)])];
}

export function testTokenizer(extra: readonly string[] = []): WordPieceTokenizer {
  return WordPieceTokenizer.fromVocab(testVocab(extra));
}

/** 2 layers, hidden 32, 4 heads, no dropout: fast on a software adapter and deterministic. */
export function tinyConfig(vocabSize: number, overrides: Partial<BertConfig> = {}): BertConfig {
  return {
    ...BERT_DEFAULTS,
    vocab_size: vocabSize,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 64,
    max_position_embeddings: 64,
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    ...overrides,
  };
}

export function words(r: () => number, n: number, from: readonly string[] = FILLER): string[] {
  return Array.from({ length: n }, () => from[Math.floor(r() * from.length)]);
}

/** Sentences of 3-9 filler words; label 1 when 'great' is among them, 0 when 'awful' is. */
export function keywordData(n: number, seed: number): { texts: string[]; labels: number[] } {
  const r = rng(seed);
  const texts: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = words(r, 3 + Math.floor(r() * 7));
    const label = r() < 0.5 ? 1 : 0;
    w.splice(Math.floor(r() * (w.length + 1)), 0, KEYWORDS[label === 1 ? 0 : 1]);
    texts.push(w.join(' '));
    labels.push(label);
  }
  return { texts, labels };
}

/**
 * "<filler> is <answer> <punctuation> <filler>" with the question "what is it ?"; the answer is a
 * noun or an adjective and a noun. Contexts run up to ~30 tokens, so with short rows
 * they span several windows.
 */
export function qaData(n: number, seed: number, maxBefore = 20): { question: string; context: string; answer: { text: string; start: number } }[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const before = words(r, 1 + Math.floor(r() * maxBefore)).join(' ');
    const answer = [...(r() < 0.5 ? words(r, 1, ADJECTIVES) : []), ...words(r, 1, NOUNS)].join(' ');
    const punct = ['.', '!', ','][Math.floor(r() * 3)];
    const after = words(r, Math.floor(r() * 5)).join(' ');
    const context = `${before} is ${answer} ${punct} ${after}`.trim();
    return { question: 'what is it ?', context, answer: { text: answer, start: before.length + 4 } };
  });
}
