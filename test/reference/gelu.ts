// Float64 references for shaders/gelu.wgsl and shaders/erf.wgsl: erf/erfc to ~1e-15, GELU exact
// (x * Phi(x)) and with the tanh approximation, and their derivatives.

const SQRT_PI = Math.sqrt(Math.PI);
const SQRT_2 = Math.SQRT2;

/** erf(z) = 2/sqrt(pi) e^{-z^2} sum_n 2^n z^{2n+1} / (2n+1)!!: every term positive, so no cancellation. */
function erfSeries(z: number): number {
  let term = z;
  let sum = z;
  for (let n = 1; n < 500; n++) {
    term *= (2 * z * z) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return ((2 / SQRT_PI) * Math.exp(-z * z)) * sum;
}

/** erfc(z) for z >= 2 from its continued fraction e^{-z^2}/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))). */
function erfcContinuedFraction(z: number): number {
  let k = z;
  for (let n = 300; n >= 1; n--) k = z + n / 2 / k;
  return Math.exp(-z * z) / SQRT_PI / k;
}

export function erf64(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const a = Math.abs(z);
  const r = a < 2.5 ? erfSeries(a) : 1 - erfcContinuedFraction(a);
  return z < 0 ? -r : r;
}

export function erfc64(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z >= 2.5) return erfcContinuedFraction(z);
  if (z <= -2.5) return 2 - erfcContinuedFraction(-z);
  return 1 - (z < 0 ? -erfSeries(-z) : erfSeries(z));
}

/** The standard normal CDF, accurate in relative terms in both tails. */
export function normalCdf64(x: number): number {
  return 0.5 * erfc64(-x / SQRT_2);
}

export type GeluApprox = 'none' | 'tanh';
const K = Math.sqrt(2 / Math.PI);
const A = 0.044715;

export function gelu64(x: number, approximate: GeluApprox = 'none'): number {
  if (approximate === 'tanh') return 0.5 * x * (1 + Math.tanh(K * (x + A * x * x * x)));
  return x * normalCdf64(x);
}

export function geluGrad64(x: number, approximate: GeluApprox = 'none'): number {
  if (approximate === 'tanh') {
    const u = K * (x + A * x * x * x);
    const t = Math.tanh(u);
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K * (1 + 3 * A * x * x);
  }
  return normalCdf64(x) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
}

export function geluRef(x: ArrayLike<number>, approximate: GeluApprox = 'none'): Float64Array {
  return Float64Array.from(x, (v) => gelu64(v, approximate));
}

export function geluBackwardRef(dy: ArrayLike<number>, x: ArrayLike<number>, approximate: GeluApprox = 'none'): Float64Array {
  return Float64Array.from(x, (v, i) => dy[i] * geluGrad64(v, approximate));
}
