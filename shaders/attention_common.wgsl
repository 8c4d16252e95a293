// What the two vec4 attention variants share (attention_kernels.wgsl with the subgroup exchanges
// of attention.wgsl, and attention_portable.wgsl), on top of attention_params.wgsl: the rows as
// vec4, their addressing, and backward_prep. The includer declares the override WG.
//   q, k, v, out, dout, dq, dk, dv: (B, S, H * D), head h at columns [h D, h D + D)
//!include attention_params.wgsl

@group(0) @binding(1) var<storage, read> q: array<vec4<act>>;           // (B, S, H*D)
@group(0) @binding(2) var<storage, read> k: array<vec4<act>>;           // (B, S, H*D)
@group(0) @binding(3) var<storage, read> v: array<vec4<act>>;           // (B, S, H*D)
@group(0) @binding(5) var<storage, read_write> o: array<vec4<act>>;     // (B, S, H*D) out: forward writes, backward_prep reads
@group(0) @binding(7) var<storage, read> dout: array<vec4<act>>;        // (B, S, H*D)
@group(0) @binding(9) var<storage, read_write> dq: array<vec4<act>>;    // (B, S, H*D)
@group(0) @binding(10) var<storage, read_write> dk: array<vec4<act>>;   // (B, S, H*D)
@group(0) @binding(11) var<storage, read_write> dv: array<vec4<act>>;   // (B, S, H*D)

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
  for (var x = 0u; x < p.D4; x++) { d += dot(vec4<f32>(dout[at + x]), vec4<f32>(o[at + x])); }
  stats[bh * p.S + i] = vec2<f32>(lse[bh * p.S + i], d);
}
