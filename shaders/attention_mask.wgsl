// BERT's padding mask (1 = real token, 0 = padding; i32, u32 or f32) to the additive key mask of
// attention: 0 where the token is real, -Infinity where it is padding.
struct Params { n: u32, is_f32: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> padding: array<u32>;     // (B, S) as raw 32-bit words
@group(0) @binding(2) var<storage, read_write> additive: array<f32>; // (B, S)

override WG: u32 = 256;

var<private> NEG_INF_BITS: u32 = 0xff800000u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let w = padding[i];
  let real = select(w != 0u, bitcast<f32>(w) != 0.0, p.is_f32 != 0u);
  additive[i] = select(bitcast<f32>(NEG_INF_BITS), 0.0, real);
}
