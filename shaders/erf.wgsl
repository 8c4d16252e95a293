// erf, erfc and the standard normal CDF in f32, within 1e-7 of float64 in absolute terms (under
// 1 ulp of 1.0; test/gelu.test.ts checks a dense grid), and a few 1e-7 relative in erfc's tail down
// to erfc(4) ~ 1.5e-8, past which WGSL's exp accuracy (3 + 2|x| ulp) is the limit.
//
// |z| < 1:  erf(z) = z * sum_n c_n z^{2n}  (Maclaurin series, 11 terms; the first omitted is < 2e-9).
// z >= 1:   erfc(z) = t * Q(t) * exp(-z^2), t = 1 / (1 + z/2), Q of degree 9 fitted by least
//           squares on Chebyshev nodes over z in [1, inf) (scripts/fit-erfc.ts derives the
//           coefficients and prints the error bounds). The Gaussian factor is a separate exp so
//           that Phi and the normal density share it: GELU's derivative needs one exp, not two.
// Both parts are always evaluated and the result selected, with no branch: on SIMD implementations
// (lavapipe runs 8 invocations per vector) a divergent `if` costs more than the arithmetic it skips.
// The *4 functions do the same on vec4s.
//!include common.wgsl

fn erf_series(z: f32) -> f32 {
  let s = z * z;
  var p = 1.48071928e-8;
  p = p * s - 1.63658441e-7;
  p = p * s + 1.64621144e-6;
  p = p * s - 1.49256502e-5;
  p = p * s + 1.20553326e-4;
  p = p * s - 8.54832702e-4;
  p = p * s + 5.22397785e-3;
  p = p * s - 2.68661715e-2;
  p = p * s + 1.12837918e-1;
  // -1/3 * 2/sqrt(pi) = -0.376126389, moved by -(4/3) * 5.86e-8: the f32 leading coefficient
  // 1.12837923 is 5.86e-8 too large, and this z^3 term cancels most of that on [0, 1]
  // (max error of the f32 evaluation 1.6e-7 -> 9e-8).
  p = p * s - 3.76126468e-1;
  p = p * s + 1.12837923;
  return z * p;
}

fn erf_series4(z: vec4<f32>) -> vec4<f32> {
  let s = z * z;
  var p = vec4<f32>(1.48071928e-8);
  p = p * s - 1.63658441e-7;
  p = p * s + 1.64621144e-6;
  p = p * s - 1.49256502e-5;
  p = p * s + 1.20553326e-4;
  p = p * s - 8.54832702e-4;
  p = p * s + 5.22397785e-3;
  p = p * s - 2.68661715e-2;
  p = p * s + 1.12837918e-1;
  p = p * s - 3.76126468e-1;
  p = p * s + 1.12837923;
  return z * p;
}

// Q(t) = erfc(z) exp(z^2) / t, t = 1 / (1 + z/2), for z >= 1.
fn erfc_q(t: f32) -> f32 {
  var q = -0.0788148269;
  q = q * t + 0.254386842;
  q = q * t - 0.251670212;
  q = q * t + 0.0279103965;
  q = q * t - 0.0261766855;
  q = q * t + 0.0871066526;
  q = q * t + 0.176016718;
  q = q * t + 0.246845305;
  q = q * t + 0.282094628;
  q = q * t + 0.282094777;
  return q;
}

fn erfc_q4(t: vec4<f32>) -> vec4<f32> {
  var q = vec4<f32>(-0.0788148269);
  q = q * t + 0.254386842;
  q = q * t - 0.251670212;
  q = q * t + 0.0279103965;
  q = q * t - 0.0261766855;
  q = q * t + 0.0871066526;
  q = q * t + 0.176016718;
  q = q * t + 0.246845305;
  q = q * t + 0.282094628;
  q = q * t + 0.282094777;
  return q;
}

// erfc(z) for z >= 1 (and +inf).
fn erfc_tail(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  return t * erfc_q(t) * exp(-z * z);
}

fn erf(z: f32) -> f32 {
  let a = abs(z);
  let r = 1.0 - erfc_tail(max(a, 1.0));
  let big = select(-r, r, z >= 0.0);
  return select(select(big, erf_series(z), a < 1.0), z, is_nan(z));
}

fn erfc(z: f32) -> f32 {
  let a = abs(z);
  let r = erfc_tail(max(a, 1.0));
  let big = select(2.0 - r, r, z >= 0.0);
  return select(select(big, 1.0 - erf_series(z), a < 1.0), z, is_nan(z));
}

// Phi(x) = P(N(0,1) <= x) = erfc(-x / sqrt(2)) / 2, relative-accurate in the lower tail.
fn normal_cdf(x: f32) -> f32 {
  return select(normal_cdf_unchecked(x), x, is_nan(x));
}

// (Phi(x), exp(-x^2 / 2)) with one exp, for callers that propagate NaN themselves (GELU:
// x * Phi(x), Phi + x phi): for a NaN x, Phi may come out as any value. Selecting NaN back in
// costs GELU up to 2.5x on lavapipe.
fn normal_cdf_gauss(x: f32) -> vec2<f32> {
  let z = x * 0.707106781;
  let a = abs(z);
  let g = exp(-z * z);                      // the tail's exp(-a^2) wherever the tail is used
  let t = 1.0 / (1.0 + 0.5 * max(a, 1.0));
  let h = 0.5 * t * erfc_q(t) * g;
  let big = select(1.0 - h, h, x < 0.0);
  return vec2<f32>(select(big, 0.5 + 0.5 * erf_series(z), a < 1.0), g);
}

fn normal_cdf_unchecked(x: f32) -> f32 {
  return normal_cdf_gauss(x).x;
}

// normal_cdf_unchecked on vec4s.
fn normal_cdf4_unchecked(x: vec4<f32>) -> vec4<f32> {
  let z = x * 0.707106781;
  let a = abs(z);
  let t = 1.0 / (1.0 + 0.5 * max(a, vec4<f32>(1.0)));
  let h = 0.5 * t * erfc_q4(t) * exp(-z * z);
  let big = select(1.0 - h, h, x < vec4<f32>(0.0));
  return select(big, 0.5 + 0.5 * erf_series4(z), a < vec4<f32>(1.0));
}

// phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
fn normal_pdf(x: f32) -> f32 {
  return 0.398942280 * exp(-0.5 * x * x);
}

