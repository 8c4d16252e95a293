// Float64 references for shaders/metrics.wgsl.

/** Index of the first maximum of each row of x (rows, V); a NaN is the maximum (the first NaN wins). */
export function argmaxRef(x: ArrayLike<number>, V: number): Int32Array {
  const rows = x.length / V;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < V; c++) {
      const v = x[r * V + c];
      const b = x[r * V + best];
      if (Number.isNaN(b)) break;
      if (Number.isNaN(v) || v > b) best = c;
    }
    out[r] = best;
  }
  return out;
}

export interface AccuracyRefOptions { weights?: ArrayLike<number>; ignoreIndex?: number }

/** [sum w_i [pred_i == label_i], sum w_i] over rows whose label is not ignoreIndex. */
export function accuracySumsRef(pred: ArrayLike<number>, labels: ArrayLike<number>, opts: AccuracyRefOptions = {}): [number, number] {
  const ignore = opts.ignoreIndex ?? -100;
  let c = 0;
  let w = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === ignore) continue;
    const wi = opts.weights ? opts.weights[i] : 1;
    if (pred[i] === labels[i]) c += wi;
    w += wi;
  }
  return [c, w];
}
