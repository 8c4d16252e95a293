// Float64 reference for shaders/permute.wgsl.
export function permuteRef(x: ArrayLike<number>, shape: number[], perm: number[]): number[] {
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let rest = i;
    let src = 0;
    for (let d = outShape.length - 1; d >= 0; d--) {
      src += (rest % outShape[d]) * strides[perm[d]];
      rest = Math.floor(rest / outShape[d]);
    }
    out[i] = x[src];
  }
  return out;
}
