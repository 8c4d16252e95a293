// Helpers shared by several shaders (pulled in with `//!include common.wgsl`).

// Bit test, so no compiler assumption about NaN can fold it away.
// (Parameter names here must not collide with binding names: reflection does not scope names.)
fn is_nan(nan_v: f32) -> bool {
  return (bitcast<u32>(nan_v) & 0x7fffffffu) > 0x7f800000u;
}

// max/min that return NaN when either side is NaN (WGSL leaves that case undefined).
fn max_nan(nan_l: f32, nan_r: f32) -> f32 {
  if (is_nan(nan_l) || is_nan(nan_r)) { return nan_l + nan_r; }
  return max(nan_l, nan_r);
}

fn min_nan(nan_l: f32, nan_r: f32) -> f32 {
  if (is_nan(nan_l) || is_nan(nan_r)) { return nan_l + nan_r; }
  return min(nan_l, nan_r);
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
