// Row-wise kernels' shared layout: a workgroup of WG invocations handles WG / TPR rows with TPR
// invocations per row. TPR = 1 (a software adapter: lavapipe runs 8 invocations as one SIMD
// vector, and barriers are expensive there) reduces a row in registers with no barrier; TPR > 1
// (a GPU) reduces it with a tree in workgroup memory.
// Invocations whose row is past the end redo the last row and store nothing: they still take part
// in the barriers (every reduction is called from uniform control flow), and with TPR = 1 every
// loop over a row has the same trip count in all invocations, so the column index stays uniform
// and a per-column load (gamma, beta) is one load for the whole SIMD vector instead of a gather.
// Included by layernorm.wgsl, softmax.wgsl, cross_entropy.wgsl and metrics.wgsl; the reductions
// themselves are reduce_wg.wgsl's.

override WG: u32 = 64;    // invocations per workgroup, a power of two
override TPR: u32 = 64;   // invocations per row: a power of two dividing WG

//!include reduce_wg.wgsl

// The row handled by this invocation and its lane within the row.
fn row_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * (WG / TPR) + lid / TPR;
}

fn lane_of(lid: u32) -> u32 {
  return lid % TPR;
}

// Sum of v over the TPR invocations of a row; each of them gets the result.
fn row_sum2(lid: u32, v: vec2<f32>) -> vec2<f32> {
  return seg_sum2(lid, TPR, v);
}

fn row_sum(lid: u32, v: f32) -> f32 {
  return seg_sum(lid, TPR, v);
}

// Max of v over the row's invocations, NaN if any is NaN.
fn row_max(lid: u32, v: f32) -> f32 {
  return seg_max(lid, TPR, v);
}

fn hsum(v: vec4<f32>) -> f32 {
  return (v.x + v.y) + (v.z + v.w);
}

// -inf, read through a private variable: WGSL rejects infinities in constant expressions.
var<private> NEG_INF_BITS: u32 = 0xff800000u;
fn neg_inf_f32() -> f32 {
  return bitcast<f32>(NEG_INF_BITS);
}

fn is_neg_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0xff800000u;
}

// Componentwise max that is NaN where either side is NaN.
fn max_nan4(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
  let abs_bits = vec4<u32>(0x7fffffffu);
  let inf_bits = vec4<u32>(0x7f800000u);
  let either = ((bitcast<vec4<u32>>(a) & abs_bits) > inf_bits) | ((bitcast<vec4<u32>>(b) & abs_bits) > inf_bits);
  return select(max(a, b), a + b, either);
}
