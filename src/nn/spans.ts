// Answer-span extraction for extractive question answering, on the host: the best spans by
// start_logit + end_logit with start <= end, a maximum answer length, and both ends inside the
// context (the tokens a caller allows, usually segment 1 without [SEP]).

export interface Span {
  /** First token of the answer. */
  start: number;
  /** Last token of the answer (inclusive). */
  end: number;
  /** startLogits[start] + endLogits[end]. */
  score: number;
}

export interface SpanOptions {
  /** Longest answer in tokens. Default 30 (HF's question-answering pipeline and SQuAD scripts). */
  maxAnswerLength?: number;
  /** How many spans to return, best first. Default 1. */
  nBest?: number;
  /** Which tokens may be part of an answer (truthy = allowed). Default: all. */
  allowed?: ArrayLike<number | boolean>;
}

/** The best valid spans of one sequence, best first (fewer when there are fewer valid spans). */
export function bestSpans(startLogits: ArrayLike<number>, endLogits: ArrayLike<number>, options: SpanOptions = {}): Span[] {
  const { maxAnswerLength = 30, nBest = 1, allowed } = options;
  const n = startLogits.length;
  if (endLogits.length !== n) throw new Error(`bestSpans: ${n} start logits but ${endLogits.length} end logits`);
  if (allowed && allowed.length !== n) throw new Error(`bestSpans: allowed has ${allowed.length} entries for ${n} tokens`);
  if (!(maxAnswerLength >= 1) || !(nBest >= 1)) throw new Error('bestSpans: maxAnswerLength and nBest must be >= 1');
  const ok = (i: number) => !allowed || Boolean(allowed[i]);
  const best: Span[] = []; // sorted by score, descending, at most nBest
  for (let s = 0; s < n; s++) {
    if (!ok(s)) continue;
    const last = Math.min(n - 1, s + maxAnswerLength - 1);
    for (let e = s; e <= last; e++) {
      if (!ok(e)) continue;
      const score = startLogits[s] + endLogits[e];
      if (best.length === nBest && !(score > best[best.length - 1].score)) continue;
      let at = best.length;
      while (at > 0 && best[at - 1].score < score) at--;
      best.splice(at, 0, { start: s, end: e, score });
      if (best.length > nBest) best.pop();
    }
  }
  return best;
}

/**
 * The context tokens of a [CLS] question [SEP] context [SEP] sequence: segment 1, not padding,
 * and not one of `excludeIds` (pass the [SEP] id with inputIds to leave the final separator out).
 */
export function contextTokens(
  tokenTypeIds: ArrayLike<number>,
  attentionMask?: ArrayLike<number>,
  inputIds?: ArrayLike<number>,
  excludeIds: readonly number[] = [],
): Uint8Array {
  const out = new Uint8Array(tokenTypeIds.length);
  for (let i = 0; i < out.length; i++) {
    const real = !attentionMask || attentionMask[i] !== 0;
    const special = inputIds !== undefined && excludeIds.includes(inputIds[i]);
    out[i] = tokenTypeIds[i] === 1 && real && !special ? 1 : 0;
  }
  return out;
}
