// Scalar GELU and its derivative, exact (erf) and tanh-approximated, plus vec4 forwards; included
// by shaders/gelu.wgsl and by any kernel that fuses GELU into an epilogue. (Measured on lavapipe:
// the vec4 forms make the forward 1.3-1.5x faster; the derivative is as fast per component, and
// slower as vec4 — more live registers.)
//!include erf.wgsl

// gelu(x) = x * Phi(x)
fn gelu_erf(x: f32) -> f32 {
  return x * normal_cdf_unchecked(x);
}

// d/dx gelu = Phi(x) + x * phi(x)
fn gelu_erf_grad(x: f32) -> f32 {
  let cg = normal_cdf_gauss(x);             // Phi(x) and exp(-x^2/2) from one exp
  return cg.x + x * 0.398942280 * cg.y;
}

fn gelu_erf4(x: vec4<f32>) -> vec4<f32> {
  return x * normal_cdf4_unchecked(x);
}

const GELU_K: f32 = 0.797884561;   // sqrt(2 / pi)
const GELU_A: f32 = 0.044715;

// sigmoid(2u) = (1 + tanh(u)) / 2, without overflow or cancellation for either sign of u.
fn sigmoid2(u: f32) -> f32 {
  let e = exp(-2.0 * abs(u));
  let s = 1.0 / (1.0 + e);
  return select(e * s, s, u >= 0.0);
}

fn sigmoid2_4(u: vec4<f32>) -> vec4<f32> {
  let e = exp(-2.0 * abs(u));
  let s = 1.0 / (1.0 + e);
  return select(e * s, s, u >= vec4<f32>(0.0));
}

// gelu_tanh(x) = x/2 (1 + tanh(k (x + a x^3))) = x * sigmoid(2 k (x + a x^3))
fn gelu_tanh(x: f32) -> f32 {
  return x * sigmoid2(GELU_K * (x + GELU_A * x * x * x));
}

// d/dx = s + x s (1 - s) 2k (1 + 3a x^2), s = sigmoid(2u)
fn gelu_tanh_grad(x: f32) -> f32 {
  let x2 = x * x;
  let s = sigmoid2(GELU_K * x * (1.0 + GELU_A * x2));
  return s + x * s * (1.0 - s) * (2.0 * GELU_K) * (1.0 + 3.0 * GELU_A * x2);
}

fn gelu_tanh4(x: vec4<f32>) -> vec4<f32> {
  return x * sigmoid2_4(GELU_K * (x + GELU_A * x * x * x));
}
