// The k most probable classes of one row of logits, with softmax probabilities computed in
// float64 over the whole row (the vocabulary, for a masked-LM head).

export interface TokenScore {
  /** Class (token) id. */
  id: number;
  /** softmax(logits)[id]. */
  score: number;
}

/** Best k of a row, most probable first; ties go to the lower id. NaN logits never win. */
export function topK(logits: ArrayLike<number>, k: number): TokenScore[] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`topK: k must be a positive integer, got ${k}`);
  const n = logits.length;
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > m) m = logits[i];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[i] - m);
  const best: number[] = []; // ids, sorted by logit descending, at most k
  for (let i = 0; i < n; i++) {
    const v = logits[i];
    if (!(v === v)) continue;
    if (best.length === k && !(v > logits[best[k - 1]])) continue;
    let at = best.length;
    while (at > 0 && logits[best[at - 1]] < v) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best.map((id) => ({ id, score: Math.exp(logits[id] - m) / sum }));
}
