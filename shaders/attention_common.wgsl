// What both fused attention variants share (attention_kernels.wgsl with the subgroup exchanges
// of attention.wgsl, and attention_portable.wgsl): the launch parameters, the bindings, the mask
// and row addressing, and backward_prep. The includer declares the override WG.
//   q, k, v, out, dout, dq, dk, dv: (B, S, H * D), head h at columns [h D, h D + D)
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
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;           // (B, S, H*D)
@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;           // (B, S, H*D)
@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;           // (B, S, H*D)
@group(0) @binding(4) var<storage, read> mask: array<f32>;              // (B, S) additive, if has_mask
@group(0) @binding(5) var<storage, read_write> o: array<vec4<f32>>;     // (B, S, H*D) out: forward writes, backward_prep reads
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;         // (B, H, S): forward writes, backward_prep reads
@group(0) @binding(7) var<storage, read> dout: array<vec4<f32>>;        // (B, S, H*D)
@group(0) @binding(8) var<storage, read_write> stats: array<vec2<f32>>; // (B, H, S) (lse, delta): backward_prep writes, backward_* read
@group(0) @binding(9) var<storage, read_write> dq: array<vec4<f32>>;    // (B, S, H*D)
@group(0) @binding(10) var<storage, read_write> dk: array<vec4<f32>>;   // (B, S, H*D)
@group(0) @binding(11) var<storage, read_write> dv: array<vec4<f32>>;   // (B, S, H*D)

// -Infinity, read through a private variable: WGSL rejects infinities in constant expressions.
var<private> NEG_INF_BITS: u32 = 0xff800000u;
fn neg_inf() -> f32 { return bitcast<f32>(NEG_INF_BITS); }

// The additive mask of key j in batch b, with values <= -1e30 made -Infinity.
fn mask_at(b: u32, j: u32) -> f32 {
  if (p.has_mask == 0u) { return 0.0; }
  let m = mask[b * p.S + j];
  return select(m, neg_inf(), m <= -1e30);
}

// vec4 index of the head row of position i (clamped into the sequence) in batch b.
fn row_at(b: u32, i: u32, hoff: u32) -> u32 {
  return (b * p.S + min(i, p.S - 1u)) * p.HD4 + hoff;
}

// stats[b, h, i] = (lse_i, delta_i = dout_i . out_i): one invocation per query row.
@compute @workgroup_size(WG)
fn backward_prep(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let bh = gid.y;
  if (i >= p.S) { return; }
  let at = row_at(bh / p.H, i, (bh % p.H) * p.D4);
  var d = 0.0;
  for (var x = 0u; x < p.D4; x++) { d += dot(dout[at + x], o[at + x]); }
  stats[bh * p.S + i] = vec2<f32>(lse[bh * p.S + i], d);
}
