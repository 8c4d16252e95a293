// Float64 references for shaders/unary.wgsl and shaders/binary.wgsl.
import type { BinaryOp, UnaryOp } from '../../src/kernels/elementwise.ts';

export function unaryRef(op: UnaryOp, x: number, alpha = 0, beta = 0): number {
  switch (op) {
    case 'affine': return alpha * x + beta;
    case 'neg': return -x;
    case 'exp': return Math.exp(x);
    case 'log': return Math.log(x);
    case 'sqrt': return Math.sqrt(x);
    case 'rsqrt': return 1 / Math.sqrt(x);
    case 'abs': return Math.abs(x);
    case 'tanh': return Math.tanh(x);
    case 'relu': return Number.isNaN(x) ? x : Math.max(x, 0);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'square': return x * x;
    case 'reciprocal': return 1 / x;
    case 'powScalar': return Math.pow(x, alpha);
    case 'clamp': return Number.isNaN(x) ? x : Math.min(Math.max(x, alpha), beta);
  }
}

export function binaryRef(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return a / b;
    case 'maximum': return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b);
    case 'minimum': return Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b);
    case 'pow': return Math.pow(a, b);
  }
}

/** Applies binaryRef with NumPy broadcasting. */
export function broadcastRef(op: BinaryOp, a: ArrayLike<number>, aShape: number[], b: ArrayLike<number>, bShape: number[]): { out: Float64Array; shape: number[] } {
  const rank = Math.max(aShape.length, bShape.length);
  const pad = (s: number[]) => [...new Array(rank - s.length).fill(1), ...s];
  const as = pad(aShape);
  const bs = pad(bShape);
  const shape = as.map((d, i) => Math.max(d, bs[i]));
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Float64Array(n);
  const idx = new Array(rank).fill(0);
  const offset = (s: number[], coords: number[]) => coords.reduce((acc, c, i) => acc * s[i] + (s[i] === 1 ? 0 : c), 0);
  for (let i = 0; i < n; i++) {
    let rest = i;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
    }
    out[i] = binaryRef(op, a[offset(as, idx)], b[offset(bs, idx)]);
  }
  return { out, shape };
}
