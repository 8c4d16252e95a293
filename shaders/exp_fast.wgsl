// exp(x) in f32 by Cody-Waite range reduction and a degree-7 polynomial: within 2 ulp of the true
// value over the whole range (test/gelu.test.ts checks it), including overflow to +inf, underflow
// through the denormals to 0, and NaN in -> NaN out.
//
// Why not the builtin: WGSL only promises exp to 3 + 2|x| ulp, and lavapipe (Mesa's software
// Vulkan) evaluates it about 3x slower than this polynomial. The row kernels (softmax, cross-entropy)
// and GELU spend most of their arithmetic here.
//!include common.wgsl

fn exp_fast(x: f32) -> f32 {
  let xc = clamp(x, -104.0, 88.7228);                 // outside, the result is 0 or +inf anyway
  let n = round(xc * 1.44269504);                     // x = n ln2 + r, |r| <= ln2 / 2
  var r = xc - n * 0.693145752;                       // ln2 = 0.693145752 + 1.42860677e-6; n * hi is exact
  r = r - n * 1.42860677e-6;
  var p = 1.98412698e-4;                              // 1/7!, ..., 1/2!, 1, 1
  p = p * r + 1.38888889e-3;
  p = p * r + 8.33333333e-3;
  p = p * r + 4.16666667e-2;
  p = p * r + 1.66666667e-1;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  let y = ldexp(2.0 * p, i32(n) - 1);                // (n - 1: 2^128 is not an f32, p 2^128 can be)
  // Past ln(FLT_MAX) = 88.7228 the result overflows: x * 1e38 is +inf there, and NaN stays NaN.
  return select(y, x * 1e38, x > 88.7228 || is_nan(x));
}

fn exp_fast4(x: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(exp_fast(x.x), exp_fast(x.y), exp_fast(x.z), exp_fast(x.w));
}
