// Float64 references for shaders/embedding.wgsl.

export function embeddingRef(table: ArrayLike<number>, C: number, ids: ArrayLike<number>): Float64Array {
  const out = new Float64Array(ids.length * C);
  for (let t = 0; t < ids.length; t++) for (let c = 0; c < C; c++) out[t * C + c] = table[ids[t] * C + c];
  return out;
}

/** Scatter-add in token order. */
export function embeddingBackwardRef(dy: ArrayLike<number>, C: number, ids: ArrayLike<number>, V: number): Float64Array {
  const d = new Float64Array(V * C);
  for (let t = 0; t < ids.length; t++) for (let c = 0; c < C; c++) d[ids[t] * C + c] += dy[t * C + c];
  return d;
}

/** x (B, S, C) at positions (B, P) -> (B, P, C). */
export function gatherRowsRef(x: ArrayLike<number>, B: number, S: number, C: number, positions: ArrayLike<number>): Float64Array {
  const P = positions.length / B;
  const flat = Array.from({ length: B * P }, (_, t) => positions[t] + Math.floor(t / P) * S);
  return embeddingRef(x, C, flat);
}

export function gatherRowsBackwardRef(dy: ArrayLike<number>, B: number, S: number, C: number, positions: ArrayLike<number>): Float64Array {
  const P = positions.length / B;
  const flat = Array.from({ length: B * P }, (_, t) => positions[t] + Math.floor(t / P) * S);
  return embeddingBackwardRef(dy, C, flat, B * S);
}
