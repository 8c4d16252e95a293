// Float64 references for shaders/adamw.wgsl and shaders/norm.wgsl (PyTorch's AdamW).

export interface AdamWRefOptions { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number; gradScale?: number }

/** One AdamW step in place on float64 copies of param, m, v. */
export function adamwRef(param: Float64Array, grad: ArrayLike<number>, m: Float64Array, v: Float64Array, o: AdamWRefOptions): void {
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2 = 1 - o.beta2 ** o.step;
  const k = o.gradScale ?? 1;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] * k;
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
    param[i] = param[i] * (1 - o.lr * o.weightDecay) - (o.lr / bc1) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + o.eps);
  }
}

export function globalNormRef(tensors: ArrayLike<number>[]): number {
  let s = 0;
  for (const t of tensors) for (let i = 0; i < t.length; i++) s += t[i] * t[i];
  return Math.sqrt(s);
}

export function clipScaleRef(norm: number, maxNorm: number): number {
  return Number.isNaN(norm) ? NaN : Math.min(1, maxNorm / (norm + 1e-6));
}
