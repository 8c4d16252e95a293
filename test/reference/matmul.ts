// Float64 references for shaders/matmul_*.wgsl: batched matmul with broadcasting, transposes and
// the fused epilogue, GELU (erf and tanh forms), and sumRows.

/** erf(x) in float64: Taylor series below 3, continued fraction for erfc above (error < 1e-15). */
export function erf64(x: number): number {
  if (Number.isNaN(x)) return x;
  const z = Math.abs(x);
  if (z < 3) {
    let sum = z;
    let term = z;
    for (let n = 1; Math.abs(term) > 1e-17 * sum; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - erfc64(z));
}

/** erfc(x) for x >= 3 by a continued fraction (Lentz form, 60 terms). */
function erfc64(z: number): number {
  let t = 0;
  for (let n = 60; n >= 1; n--) t = n / 2 / (z + t);
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + t);
}

/** GELU, exact: x/2 (1 + erf(x / sqrt 2)); written with erfc for x < 0 so the tail keeps precision. */
export function geluRef(x: number): number {
  const z = x / Math.SQRT2;
  if (x < -3 * Math.SQRT2) return 0.5 * x * erfc64(-z);
  return 0.5 * x * (1 + erf64(z));
}

export function geluTanhRef(x: number): number {
  const u = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
  return 0.5 * x * (1 + Math.tanh(u));
}

export interface MatmulRefOptions {
  transA?: boolean;
  transB?: boolean;
  bias?: ArrayLike<number>;
  activation?: 'gelu' | 'gelu_tanh';
  residual?: ArrayLike<number>;
}

export interface MatmulRefResult {
  out: Float64Array;
  /** a @ b + bias, before the activation. */
  pre: Float64Array;
  shape: number[];
  K: number;
  /** max over outputs of sum_k |a_ik b_kj|: the scale of the f32 rounding error. */
  absSum: number;
}

function broadcast(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`batch dims ${a} and ${b} do not broadcast`);
    out.push(Math.max(da, db));
  }
  return out;
}

/** Offset of batch index `i` (flat, over `out`) inside an operand whose batch dims are `dims`. */
function batchOffset(i: number, out: number[], dims: number[], matrix: number): number {
  let off = 0;
  let stride = matrix;
  for (let d = out.length - 1; d >= 0; d--) {
    const idx = i % out[d];
    i = Math.floor(i / out[d]);
    const j = dims.length - out.length + d;
    if (j >= 0) {
      if (dims[j] !== 1) off += idx * stride;
      stride *= dims[j];
    }
  }
  return off;
}

export function matmulRef(a: ArrayLike<number>, aShape: number[], b: ArrayLike<number>, bShape: number[], o: MatmulRefOptions = {}): MatmulRefResult {
  const [ar, ac] = aShape.slice(-2);
  const [br, bc] = bShape.slice(-2);
  const M = o.transA ? ac : ar;
  const K = o.transA ? ar : ac;
  const N = o.transB ? br : bc;
  if ((o.transB ? bc : br) !== K) throw new Error('inner dims differ');
  const batch = broadcast(aShape.slice(0, -2), bShape.slice(0, -2));
  const batches = batch.reduce((x, y) => x * y, 1);
  const out = new Float64Array(batches * M * N);
  const pre = new Float64Array(batches * M * N);
  let absSum = 0;
  for (let z = 0; z < batches; z++) {
    const ao = batchOffset(z, batch, aShape.slice(0, -2), M * K);
    const bo = batchOffset(z, batch, bShape.slice(0, -2), K * N);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        let abs = 0;
        for (let k = 0; k < K; k++) {
          const x = a[ao + (o.transA ? k * M + m : m * K + k)];
          const y = b[bo + (o.transB ? n * K + k : k * N + n)];
          s += x * y;
          abs += Math.abs(x * y);
        }
        const i = (z * M + m) * N + n;
        if (o.bias) s += o.bias[n];
        pre[i] = s;
        let v = o.activation === 'gelu' ? geluRef(s) : o.activation === 'gelu_tanh' ? geluTanhRef(s) : s;
        if (o.residual) v += o.residual[i];
        out[i] = v;
        if (abs > absSum) absSum = abs;
      }
    }
  }
  return { out, pre, shape: [...batch, M, N], K, absSum };
}

/** Column sums of x viewed as (rows, N). */
export function sumRowsRef(x: ArrayLike<number>, N: number): Float64Array {
  const out = new Float64Array(N);
  for (let i = 0; i < x.length; i++) out[i % N] += x[i];
  return out;
}
