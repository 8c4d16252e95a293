// Derives the erfc coefficients in shaders/erf.wgsl and prints their error.
//   node --import ./scripts/register-ts.mjs scripts/fit-erfc.ts [degree] [z0] [where] [--log]
//
// Form: for z >= z0, t = 1 / (1 + z/2),
//   erfc(z) = t * Q(t) * exp(-z^2),  Q a polynomial in t on (0, 1/(1 + z0/2)],
// so the Gaussian factor exp(-z^2) is shared with the normal density (GELU's derivative needs
// both: one exp instead of two). Q(t) = erfcx(z) / t is smooth down to t = 0 (Q(0) = 1/(2 sqrt(pi))),
// so a least-squares fit on Chebyshev nodes is close to minimax.
// --log fits Numerical Recipes' erfcc form instead: erfc(z) = t * exp(-z^2 + P(t)), P = log Q.
import { erfc64 } from '../test/reference/gelu.ts';

const degree = Number(process.argv[2] ?? 11);
const LOG = process.argv.includes('--log');
/** Below Z0 the shader uses erf's Taylor series instead (the fit would be ill-conditioned near t = 1). */
const Z0 = Number(process.argv[3] ?? 0.5);
const T0 = 1 / (1 + Z0 / 2);

/** e^{z^2} erfc(z) without underflow (continued fraction for z >= 2.5). */
function erfcx(z: number): number {
  if (z < 2.5) return Math.exp(z * z) * erfc64(z);
  let k = z;
  for (let n = 300; n >= 1; n--) k = z + n / 2 / k;
  return 1 / Math.sqrt(Math.PI) / k;
}
const target = (t: number) => (LOG ? Math.log(erfcx((2 * (1 - t)) / t) / t) : erfcx((2 * (1 - t)) / t) / t);
const atZero = LOG ? -Math.log(2 * Math.sqrt(Math.PI)) : 1 / (2 * Math.sqrt(Math.PI));

// Least squares on M Chebyshev nodes of [0, 1], solved by normal equations in the Chebyshev basis.
const M = 4000;
const ts: number[] = [];
for (let i = 0; i < M; i++) ts.push(T0 * (0.5 - 0.5 * Math.cos(((i + 0.5) * Math.PI) / M)));
const ys = ts.map((t) => (t < 1e-6 ? atZero : target(t)));
const cheb = (t: number) => {
  const s = (2 * t) / T0 - 1;
  const T = [1, s];
  for (let k = 2; k <= degree; k++) T.push(2 * s * T[k - 1] - T[k - 2]);
  return T.slice(0, degree + 1);
};
const n = degree + 1;
const A = Array.from({ length: n }, () => new Float64Array(n + 1));
for (let i = 0; i < M; i++) {
  const T = cheb(ts[i]);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) A[r][c] += T[r] * T[c];
    A[r][n] += T[r] * ys[i];
  }
}
for (let c = 0; c < n; c++) {
  let p = c;
  for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
  [A[c], A[p]] = [A[p], A[c]];
  for (let r = 0; r < n; r++) {
    if (r === c) continue;
    const f = A[r][c] / A[c][c];
    for (let k = c; k <= n; k++) A[r][k] -= f * A[c][k];
  }
}
const chebCoef = A.map((row, i) => row[n] / row[i]);
// Chebyshev (in s = 2t - 1) to monomials in t.
let mono = new Array<number>(n).fill(0);
{
  // T_k(2t/T0 - 1) as monomial coefficients in t.
  let prev = [1];
  let cur = [-1, 2 / T0];
  const add = (k: number, poly: number[]) => poly.forEach((v, i) => (mono[i] += chebCoef[k] * v));
  add(0, prev);
  if (degree >= 1) add(1, cur);
  for (let k = 2; k <= degree; k++) {
    const next = new Array<number>(k + 1).fill(0);
    cur.forEach((v, i) => {
      next[i + 1] += (4 / T0) * v;
      next[i] -= 2 * v;
    });
    prev.forEach((v, i) => (next[i] -= v));
    add(k, next);
    prev = cur;
    cur = next;
  }
}
const f32 = Math.fround;
const coefF32 = mono.map(f32);
/** erfc evaluated the way the shader does, every operation rounded to f32 (exp and division exact, then rounded). */
function erfcF32(z: number): number {
  const zz = f32(z);
  const t = f32(1 / f32(1 + f32(0.5 * zz)));
  let p = coefF32[degree];
  for (let k = degree - 1; k >= 0; k--) p = f32(f32(p * t) + coefF32[k]);
  if (LOG) return f32(t * f32(Math.exp(f32(f32(-zz * zz) + p))));
  return f32(f32(t * p) * f32(Math.exp(f32(-zz * zz))));
}
let fitErr = 0;
let relErr = 0;
let absErfErr = 0;
for (let i = 0; i <= 200000; i++) {
  const z = Z0 + (i / 200000) * (10 - Z0);
  const want = erfc64(z);
  const t = 1 / (1 + z / 2);
  let p = 0;
  for (let k = degree; k >= 0; k--) p = p * t + mono[k];
  const fitted = LOG ? t * Math.exp(-z * z + p) : t * p * Math.exp(-z * z);
  fitErr = Math.max(fitErr, Math.abs(fitted / want - 1));
  const got = erfcF32(z);
  if (want > 1e-30) relErr = Math.max(relErr, Math.abs(got / want - 1));
  absErfErr = Math.max(absErfErr, Math.abs(got - want));
}
console.log(`degree ${degree}: fit relative error ${fitErr.toExponential(2)}; f32-evaluated erfc relative error ${relErr.toExponential(2)}, absolute ${absErfErr.toExponential(2)} on [${Z0}, 10]`);
console.log('coefficients (t^0 first):');
console.log(coefF32.map((c) => c.toPrecision(9)).join(', '));
if (process.argv[4] === 'where') {
  for (const z of [0, 0.01, 0.1, 0.3, 0.5, 1, 1.5, 2, 3, 4, 6, 9]) {
    const want = erfc64(z);
    const got = erfcF32(z);
    console.log(z, want, got, (got - want).toExponential(2), (got / want - 1).toExponential(2));
  }
}
