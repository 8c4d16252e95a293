// Copies 32-bit words: a dtype-agnostic tensor copy.
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;         // (n) words
@group(0) @binding(2) var<storage, read_write> y: array<u32>;   // (n) words

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i < p.n) { y[i] = x[i]; }
}
