// Float64 reference for shaders/layernorm.wgsl.

export interface LayerNormRef { y: Float64Array; mean: Float64Array; rstd: Float64Array }

export function layerNormRef(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, C: number, eps = 1e-12): LayerNormRef {
  const rows = x.length / C;
  const y = new Float64Array(x.length);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += x[r * C + c];
    const mu = s / C;
    let q = 0;
    for (let c = 0; c < C; c++) q += (x[r * C + c] - mu) ** 2;
    const rs = 1 / Math.sqrt(q / C + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (x[r * C + c] - mu) * rs * gamma[c] + beta[c];
    mean[r] = mu;
    rstd[r] = rs;
  }
  return { y, mean, rstd };
}

export interface LayerNormGradsRef { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array }

export function layerNormBackwardRef(dy: ArrayLike<number>, x: ArrayLike<number>, gamma: ArrayLike<number>, C: number, eps = 1e-12): LayerNormGradsRef {
  const rows = x.length / C;
  const { mean, rstd } = layerNormRef(x, gamma, new Float64Array(C), C, eps);
  const dx = new Float64Array(x.length);
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    let a = 0;
    let b = 0;
    for (let c = 0; c < C; c++) {
      const xhat = (x[r * C + c] - mean[r]) * rstd[r];
      const g = dy[r * C + c] * gamma[c];
      a += g;
      b += g * xhat;
      dgamma[c] += dy[r * C + c] * xhat;
      dbeta[c] += dy[r * C + c];
    }
    for (let c = 0; c < C; c++) {
      const xhat = (x[r * C + c] - mean[r]) * rstd[r];
      dx[r * C + c] = rstd[r] * (dy[r * C + c] * gamma[c] - a / C - (xhat * b) / C);
    }
  }
  return { dx, dgamma, dbeta };
}
