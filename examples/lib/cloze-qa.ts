// A synthetic but real-text extractive QA task (there are no pretrained QA weights or SQuAD here):
// cloze questions built from a book's own sentences.
//
//   passage  = consecutive sentences of one document, up to ~`passageChars` characters;
//   answer   = one content word of one of those sentences (letters only, >= 4 letters, not a
//              stop word, not the sentence's first word), at its exact character offset;
//   question = that sentence (cut to `questionWords` words around the gap) with the answer
//              replaced by "what", ending in "?".
//
// e.g. passage "... Call me Ishmael. Some years ago ..." gives question "Call me what?" and answer
// "Ishmael". The model must find the sentence the question paraphrases and return the missing
// word: a span of the context, scored with SQuAD's exact match and F1. Documents, not passages,
// are split between training and test, so no test passage's text was ever trained on.
import { Random } from '../../src/node.ts';

export interface ClozeExample {
  question: string;
  context: string;
  answer: { text: string; start: number };
}

export interface ClozeOptions {
  seed: number;
  /** Longest passage, in characters. Default 300. */
  passageChars?: number;
  /** Question length cap, in words. Default 8. */
  questionWords?: number;
  /** Questions per passage at most. Default 4. */
  perPassage?: number;
}

const STOP = new Set(('a about above after again against all also am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up upon very was we were what when where which while who whom why will with would you your yours yourself yourselves thee thou thy thine unto yet ye shall said one now must like').split(' '));

/** The sentences of a text: whitespace normalised, split after . ! ? (kept when 20 to 300 characters). */
export function sentences(text: string): string[] {
  return text.replace(/\s+/g, ' ').split(/(?<=[.!?]["')\]]?)\s+(?=["'(\[]?[A-Z])/).map((s) => s.trim()).filter((s) => s.length >= 20 && s.length <= 300);
}

/** Passages of consecutive sentences, each at most `maxChars` long (joined by one space). */
export function passages(text: string, maxChars: number): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let len = 0;
  for (const s of sentences(text)) {
    if (cur.length && len + 1 + s.length > maxChars) {
      out.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(s);
    len += (cur.length > 1 ? 1 : 0) + s.length;
  }
  if (cur.length >= 2) out.push(cur);
  return out;
}

/** Cloze questions for every passage of every document. */
export function clozeExamples(documents: readonly string[], options: ClozeOptions): ClozeExample[] {
  const { passageChars = 300, questionWords = 8, perPassage = 4 } = options;
  const rng = new Random(options.seed);
  const out: ClozeExample[] = [];
  for (const doc of documents) {
    for (const sents of passages(doc, passageChars)) {
      const context = sents.join(' ');
      const starts: number[] = [];
      sents.reduce((at, s) => (starts.push(at), at + s.length + 1), 0);
      const used = new Set<number>();
      for (let q = 0; q < perPassage; q++) {
        const si = rng.int(sents.length);
        if (used.has(si)) continue;
        const ex = clozeFromSentence(sents[si], starts[si], context, questionWords, rng);
        if (ex) {
          used.add(si);
          out.push(ex);
        }
      }
    }
  }
  return out;
}

function clozeFromSentence(sentence: string, offset: number, context: string, questionWords: number, rng: Random): ClozeExample | null {
  const words = [...sentence.matchAll(/[A-Za-z]+(?:'[a-z]+)?/g)].map((m) => ({ text: m[0], at: m.index! }));
  if (words.length < 6) return null;
  const candidates = words.filter((w, i) => i > 0 && /^[A-Za-z]{4,}$/.test(w.text) && !STOP.has(w.text.toLowerCase()));
  if (!candidates.length) return null;
  const pick = candidates[rng.int(candidates.length)];
  const k = words.indexOf(pick);
  // A window of words around the gap, cut at word boundaries of the original sentence.
  const half = Math.floor(questionWords / 2);
  const first = Math.max(0, Math.min(k - half, words.length - questionWords));
  const last = Math.min(words.length - 1, first + questionWords - 1);
  const from = words[first].at;
  const to = last === words.length - 1 ? sentence.length : words[last].at + words[last].text.length;
  const question = `${sentence.slice(from, pick.at)}what${sentence.slice(pick.at + pick.text.length, to)}`.replace(/[\s.,;:!?"'-]+$/, '') + '?';
  const start = offset + pick.at;
  if (context.slice(start, start + pick.text.length) !== pick.text) throw new Error('cloze: answer offset mismatch (a bug)');
  return { question, context, answer: { text: pick.text, start } };
}

/**
 * Exact match of guessing: picking one of the passage's candidate words (the words an answer can
 * be: >= 4 letters, not a stop word) uniformly at random, in expectation.
 */
export function chanceExactMatch(examples: readonly ClozeExample[]): number {
  let total = 0;
  for (const ex of examples) {
    const words = (ex.context.match(/[A-Za-z]+/g) ?? []).filter((w) => w.length >= 4 && !STOP.has(w.toLowerCase()));
    const hits = words.filter((w) => normalizeAnswer(w) === normalizeAnswer(ex.answer.text)).length;
    total += words.length ? hits / words.length : 0;
  }
  return total / Math.max(1, examples.length);
}

/** SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces. */
export function normalizeAnswer(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, ' ').replace(/\b(a|an|the)\b/g, ' ').replace(/\s+/g, ' ').trim();
}

/** SQuAD's exact match and token F1 of a prediction against the reference answer. */
export function exactMatchF1(prediction: string, reference: string): { em: number; f1: number } {
  const p = normalizeAnswer(prediction);
  const r = normalizeAnswer(reference);
  const em = p === r ? 1 : 0;
  const pt = p ? p.split(' ') : [];
  const rt = r ? r.split(' ') : [];
  if (!pt.length || !rt.length) return { em, f1: pt.length === rt.length ? 1 : 0 };
  const counts = new Map<string, number>();
  for (const t of rt) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of pt) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      common++;
      counts.set(t, c - 1);
    }
  }
  if (!common) return { em, f1: 0 };
  const precision = common / pt.length;
  const recall = common / rt.length;
  return { em, f1: (2 * precision * recall) / (precision + recall) };
}
