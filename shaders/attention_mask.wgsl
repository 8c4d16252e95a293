// BERT's padding mask (1 = real token, 0 = padding; i32, u32 or f32) to the additive key mask of
// attention: 0 where the token is real, -Infinity where it is padding. Any other value (2, -1, an
// additive 0 / -10000 mask) is reported to the launch's guard slot and read as padding.
//!include guard.wgsl

struct Params { n: u32, is_f32: u32, guard_slot: u32 }
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
  // The bit patterns of 1 and 0: 1u / 0u as integers, 0x3f800000 / 0 (or -0.0) as f32.
  let one = select(1u, 0x3f800000u, p.is_f32 != 0u);
  let zero = w == 0u || (p.is_f32 != 0u && w == 0x80000000u);
  if (w != one && !zero) { guard_report(p.guard_slot, i, w); }
  additive[i] = select(bitcast<f32>(NEG_INF_BITS), 0.0, w == one);
}
