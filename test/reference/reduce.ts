// Float64 reference for shaders/reduce.wgsl: reduce one or more axes.
export function reduceRef(op: 'sum' | 'mean' | 'max', x: ArrayLike<number>, shape: number[], axes: number[]): { out: Float64Array; shape: number[] } {
  const outShape = shape.filter((_, i) => !axes.includes(i));
  const n = outShape.reduce((p, d) => p * d, 1);
  const out = new Float64Array(n).fill(op === 'max' ? -Infinity : 0);
  const counts = axes.reduce((p, a) => p * shape[a], 1);
  const idx = new Array(shape.length).fill(0);
  const total = shape.reduce((p, d) => p * d, 1);
  for (let i = 0; i < total; i++) {
    let rest = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
    }
    let o = 0;
    for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) o = o * shape[d] + idx[d];
    const v = x[i];
    if (op === 'max') out[o] = Number.isNaN(v) || Number.isNaN(out[o]) ? NaN : Math.max(out[o], v);
    else out[o] += v;
  }
  if (op === 'mean') for (let i = 0; i < n; i++) out[i] /= counts;
  return { out, shape: outShape };
}
