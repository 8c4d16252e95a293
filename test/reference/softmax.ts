// Float64 references for shaders/softmax.wgsl.

/** Softmax over rows of C; an all -inf row gives zeros, a row holding NaN gives NaN. */
export function softmaxRef(x: ArrayLike<number>, C: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / C; r++) {
    let m = -Infinity;
    let nan = false;
    for (let c = 0; c < C; c++) {
      const v = x[r * C + c];
      if (Number.isNaN(v)) nan = true;
      m = Math.max(m, v);
    }
    if (nan) {
      y.fill(NaN, r * C, (r + 1) * C);
      continue;
    }
    if (m === -Infinity) continue;
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x[r * C + c] - m);
    for (let c = 0; c < C; c++) y[r * C + c] = Math.exp(x[r * C + c] - m) / s;
  }
  return y;
}

export function softmaxBackwardRef(dy: ArrayLike<number>, y: ArrayLike<number>, C: number): Float64Array {
  const dx = new Float64Array(y.length);
  for (let r = 0; r < y.length / C; r++) {
    let d = 0;
    for (let c = 0; c < C; c++) d += dy[r * C + c] * y[r * C + c];
    for (let c = 0; c < C; c++) dx[r * C + c] = y[r * C + c] * (dy[r * C + c] - d);
  }
  return dx;
}
