// One tolerance rule for every parity test: |gpu - ref| <= atol + rtol * |ref|, with named
// presets. NaN must match NaN and infinities must match exactly. A failure names the worst
// element and the first mismatches with their indices.

export interface Tolerance { atol: number; rtol: number }

export const TOL = {
  /** Bit-for-bit (copies, gathers, integer ops). */
  exact: { atol: 0, rtol: 0 },
  /** One or two f32 roundings (add, mul, affine). */
  arithmetic: { atol: 1e-7, rtol: 1e-6 },
  /** WGSL's exp/log/pow/tanh are specified to a few ULP, growing with |x| for exp (3 + 2|x| ULP). */
  transcendental: { atol: 1e-6, rtol: 1e-5 },
  /** Sums of up to ~1e5 terms of magnitude <= 1 in f32 with pairwise/tree accumulation. */
  reduction: { atol: 1e-5, rtol: 1e-5 },
  /**
   * Attention and its gradients: f32 exp (a few ulp) of scores, then sums of up to ~1000 products
   * in f32 (online softmax rescaling adds a few roundings per key block); dS = P (dP - delta)
   * subtracts nearly equal terms, so gradients near zero keep an absolute error of ~1e-6.
   */
  attention: { atol: 2e-5, rtol: 2e-4 },
} as const satisfies Record<string, Tolerance>;

/** Unit roundoff of f32. */
export const F32_EPS = 2 ** -24;

/** Unit roundoff of f16 (normal halves); subnormals (|x| < 2^-14) are spaced 2^-24 apart. */
export const F16_EPS = 2 ** -11;

/**
 * A result computed within `tol` in f32 (r = ref + d, |d| <= atol + rtol |ref|) and rounded once to
 * f16 as it is stored: round-to-nearest moves r by at most u |r| (normal) or 2^-25 (subnormal,
 * half their spacing), so |h - ref| <= |d| (1 + u) + u |ref| + 2^-25.
 */
export function f16Stored(tol: Tolerance): Tolerance {
  const u = F16_EPS;
  return { atol: tol.atol * (1 + u) + 2 ** -25, rtol: tol.rtol * (1 + u) + u };
}

/**
 * Matmul (and anything ending in a length-K f32 dot product): accumulating K products in f32
 * rounds once per addition, so the error grows like sqrt(K) * u * sum_k |a_k b_k| for random
 * rounding (K * u * ... in the worst case). `absSum` bounds sum_k |a_k b_k| over the outputs
 * (test/reference/matmul.ts returns it); atol takes 4x that statistical bound, which covers the
 * largest of ~1e6 outputs even when every product has the same sign. rtol 2e-6 covers the fused
 * epilogue (bias and residual adds, GELU's erf/tanh at a few ULP).
 */
export function matmulTolerance(K: number, absSum: number): Tolerance {
  return { atol: 4 * Math.sqrt(Math.max(K, 1)) * F32_EPS * absSum + 1e-7, rtol: 2e-6 };
}

export function mismatchReport(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != expected ${expected.length}`;
  let bad = 0;
  let worst = -1;
  let worstExcess = -Infinity;
  const first: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    let ok: boolean;
    let excess: number;
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      ok = Object.is(a, e) || (Number.isNaN(e) && Number.isNaN(a));
      excess = ok ? 0 : Infinity;
    } else {
      const err = Math.abs(a - e);
      const bound = tol.atol + tol.rtol * Math.abs(e);
      ok = err <= bound;
      excess = Number.isNaN(err) ? Infinity : err - bound;
    }
    if (!ok) {
      bad++;
      if (first.length < 5) first.push(`  [${i}] got ${a}, expected ${e}`);
      if (excess > worstExcess) {
        worstExcess = excess;
        worst = i;
      }
    }
  }
  if (!bad) return null;
  const a = actual[worst];
  const e = expected[worst];
  return `${bad} of ${expected.length} elements outside |gpu - ref| <= ${tol.atol} + ${tol.rtol} * |ref|\n` +
    `  worst: [${worst}] got ${a}, expected ${e}, error ${Math.abs(a - e)}\n` +
    `  first mismatches:\n${first.join('\n')}`;
}

/** Throws with a readable report when `actual` is not within `tol` of `expected`. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, label = ''): void {
  const report = mismatchReport(actual, expected, tol);
  if (report) throw new Error(`${label ? label + ': ' : ''}${report}`);
}
