// Helpers shared by several shaders (pulled in with `//!include common.wgsl`).

// Bit test, so no compiler assumption about NaN can fold it away.
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// max/min that return NaN when either side is NaN (WGSL leaves that case undefined).
fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return a + b; }
  return max(a, b);
}

fn min_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return a + b; }
  return min(a, b);
}

// A quiet NaN and +Infinity. Read through private variables: WGSL rejects NaN and infinities
// in constant expressions.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nan_f32() -> f32 {
  return bitcast<f32>(NAN_BITS);
}
fn inf_f32() -> f32 {
  return bitcast<f32>(INF_BITS);
}
