// The two matmul operands, read as vec4 of f32 whatever their storage: f32, or f16 (A_F16 /
// B_F16: halves, unpacked to f32 on load, so a weight stored in f16 moves half the bytes; the
// products and their sum stay f32, and unpack2x16float is core WGSL: no shader-f16 needed). Both
// are bound as whole buffers of raw words (the pool's sizes are multiples of 16 bytes, so a vec4
// view reaches every element), shared by matmul_sg, matmul_tiled and matmul_gemv.
//!include matmul_common.wgsl

@group(0) @binding(5) var<storage, read> a: array<vec4<u32>>;   // (batch.., M, K), or (batch.., K, M) when A_T
@group(0) @binding(6) var<storage, read> b: array<vec4<u32>>;   // (batch.., K, N), or (batch.., N, K) when B_T

override A_F16: bool = false;   // a holds f16: 8 elements per vec4 of words
override B_F16: bool = false;

// The operand layout: compile-time constants (one pipeline per layout; the sg and gemv inner loops
// need that), or with DYNAMIC read from p.operand_layout at run time (tiled: one pipeline serves
// every layout, the layout only steers its staging loads).
override DYNAMIC: bool = false;
override A_T: bool = false;
override B_T: bool = false;
override A_ALIGNED: bool = true;  // a's contiguous dim is a multiple of 4, so vec4 reads are aligned
override B_ALIGNED: bool = true;

fn a_t() -> bool {
  if (DYNAMIC) { return (p.operand_layout & 1u) != 0u; }
  return A_T;
}
fn b_t() -> bool {
  if (DYNAMIC) { return (p.operand_layout & 2u) != 0u; }
  return B_T;
}
fn a_aligned() -> bool {
  if (DYNAMIC) { return (p.operand_layout & 4u) != 0u; }
  return A_ALIGNED;
}
fn b_aligned() -> bool {
  if (DYNAMIC) { return (p.operand_layout & 8u) != 0u; }
  return B_ALIGNED;
}

// Elements 4q .. 4q + 3 of a (which == 0) or b, as f32.
fn quad(which: u32, q: u32) -> vec4<f32> {
  if ((which == 0u && A_F16) || (which == 1u && B_F16)) {
    var w: vec4<u32>;
    if (which == 0u) { w = a[q / 2u]; } else { w = b[q / 2u]; }
    let pair = select(w.xy, w.zw, (q & 1u) == 1u);
    return vec4<f32>(unpack2x16float(pair.x), unpack2x16float(pair.y));
  }
  if (which == 0u) { return bitcast<vec4<f32>>(a[q]); }
  return bitcast<vec4<f32>>(b[q]);
}

// The 4 floats at elements e .. e + 3 of a (which == 0) or b. Unaligned reads take two aligned
// vec4 and select; the caller masks elements past the logical end.
fn load4(which: u32, e: u32, aligned: bool) -> vec4<f32> {
  if (aligned) { return quad(which, e / 4u); }
  let v0 = quad(which, e / 4u);
  let v1 = quad(which, e / 4u + 1u);
  let s = e % 4u;
  return select(select(select(v0, vec4(v0.yzw, v1.x), s == 1u), vec4(v0.zw, v1.xy), s == 2u), vec4(v0.w, v1.xyz), s == 3u);
}
