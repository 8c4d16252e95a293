// The launch parameters and the bindings every fused attention variant declares the same way
// (attention_common.wgsl adds vec4 views of the rows for attention.wgsl and attention_portable.wgsl;
// attention_flash.wgsl reads them as scalars), the mask, and the dropout and gradient formulas
// the portable and flash kernels share.
//   mask: (B, S) additive key mask; lse: (B, H, S); stats: (B, H, S) of (lse, delta)
//!include philox.wgsl

struct Params {
  S: u32,           // sequence length
  H: u32,           // heads
  HD4: u32,         // row stride of q, k, v, out in vec4 (H * D / 4)
  D4: u32,          // vec4 per head row (D / 4), a uniform: see row_q() in attention_kernels.wgsl
  scale: f32,       // softmax scale
  threshold: u32,   // dropout: a Philox word below this drops; 0 = no dropout
  drop_scale: f32,  // 1 / (1 - rate)
  seed_lo: u32,
  seed_hi: u32,
  has_mask: u32,    // 0: no mask (the mask binding is a stand-in and never read)
  HD: u32,          // row stride of q, k, v, out in floats (H * D): attention_flash.wgsl
  D: u32,           // head dim: attention_flash.wgsl
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(4) var<storage, read> mask: array<f32>;              // (B, S) additive, if has_mask
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;         // (B, H, S): forward writes, backward_prep reads
@group(0) @binding(8) var<storage, read_write> stats: array<vec2<f32>>; // (B, H, S) (lse, delta): backward_prep writes, backward_* read

// -Infinity, read through a private variable: WGSL rejects infinities in constant expressions.
var<private> NEG_INF_BITS: u32 = 0xff800000u;
fn neg_inf() -> f32 { return bitcast<f32>(NEG_INF_BITS); }

// The additive mask of key j in batch b, with values <= -1e30 made -Infinity.
fn mask_at(b: u32, j: u32) -> f32 {
  if (p.has_mask == 0u) { return 0.0; }
  let m = mask[b * p.S + j];
  return select(m, neg_inf(), m <= -1e30);
}

// Dropout factor (0 or 1 / (1 - rate)) of query i, key j (the word of the pair's Philox call).
fn keep_factor(bh: u32, i: u32, j: u32) -> f32 {
  if (p.threshold == 0u) { return 1.0; }
  let w = philox4x32_10(vec4<u32>(j >> 1u, i >> 1u, bh, PHILOX_ATTENTION), vec2<u32>(p.seed_lo, p.seed_hi));
  let f = philox_keep4(w, p.threshold, p.drop_scale);
  return f[(i & 1u) * 2u + (j & 1u)];
}

// P and dS of query i, key j (dp: dout_i . v_j): P = 0 where the key is masked or the row is empty.
fn p_and_ds(bh: u32, i: u32, j: u32, s: f32, dp: f32, st: vec2<f32>) -> vec2<f32> {
  let pij = select(exp(s - st.x), 0.0, st.x == neg_inf());
  let z = keep_factor(bh, i, j);
  return vec2<f32>(pij * z, pij * (dp * z - st.y));
}
