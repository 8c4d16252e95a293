// Float64 references for shaders/cross_entropy.wgsl.

export interface CrossEntropyRefOptions { weights?: ArrayLike<number>; ignoreIndex?: number }

export function logSumExp64(x: ArrayLike<number>, start: number, n: number): number {
  let m = -Infinity;
  for (let c = 0; c < n; c++) m = Math.max(m, x[start + c]);
  let s = 0;
  for (let c = 0; c < n; c++) s += Math.exp(x[start + c] - m);
  return m + Math.log(s);
}

/** loss = sum(w_i (lse_i - x_i[label_i])) / sum(w_i) over non-ignored rows (0 if that sum is 0). */
export function crossEntropyRef(logits: ArrayLike<number>, labels: ArrayLike<number>, V: number, opts: CrossEntropyRefOptions = {}) {
  const N = labels.length;
  const ignore = opts.ignoreIndex ?? -100;
  const lse = new Float64Array(N);
  let num = 0;
  let den = 0;
  for (let i = 0; i < N; i++) {
    lse[i] = logSumExp64(logits, i * V, V);
    if (labels[i] === ignore) continue;
    const w = opts.weights ? opts.weights[i] : 1;
    const bad = labels[i] < 0 || labels[i] >= V;
    num += w * (bad ? NaN : lse[i] - logits[i * V + labels[i]]);
    den += w;
  }
  return { loss: den === 0 ? 0 : num / den, lse };
}

export function crossEntropyBackwardRef(logits: ArrayLike<number>, labels: ArrayLike<number>, V: number, opts: CrossEntropyRefOptions & { dLoss?: number } = {}): Float64Array {
  const N = labels.length;
  const ignore = opts.ignoreIndex ?? -100;
  const { lse } = crossEntropyRef(logits, labels, V, opts);
  let den = 0;
  for (let i = 0; i < N; i++) if (labels[i] !== ignore) den += opts.weights ? opts.weights[i] : 1;
  const scale = den === 0 ? 0 : (opts.dLoss ?? 1) / den;
  const d = new Float64Array(N * V);
  for (let i = 0; i < N; i++) {
    if (labels[i] === ignore) continue;
    const k = (opts.weights ? opts.weights[i] : 1) * scale;
    for (let c = 0; c < V; c++) d[i * V + c] = (Math.exp(logits[i * V + c] - lse[i]) - (c === labels[i] ? 1 : 0)) * k;
  }
  return d;
}
