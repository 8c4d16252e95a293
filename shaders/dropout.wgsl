// Inverted dropout, y = x * keep / (1 - rate), with the keep mask drawn from Philox4x32-10 keyed by
// the seed and the element index (see philox.wgsl): nothing is stored, and the backward pass is this
// same kernel applied to dy with the same (rate, seed). One invocation per 4 consecutive elements,
// the 4 words of one Philox call. NaN stays NaN (x * 0), as in a multiply by the mask.
//!include common.wgsl
//!include philox.wgsl

struct Params { n: u32, threshold: u32, scale: f32, seed_lo: u32, seed_hi: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<act>;        // (n)
@group(0) @binding(2) var<storage, read_write> y: array<act>;  // (n)

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = gid.x + gid.y * nwg.x * WG;
  let base = g * 4u;
  if (base >= p.n) { return; }
  let words = philox4x32_10(vec4<u32>(g, 0u, 0u, PHILOX_DROPOUT), vec2<u32>(p.seed_lo, p.seed_hi));
  let f = philox_keep4(words, p.threshold, p.scale);
  if (base + 3u < p.n) {
    y[base] = act(f32(x[base]) * f.x);
    y[base + 1u] = act(f32(x[base + 1u]) * f.y);
    y[base + 2u] = act(f32(x[base + 2u]) * f.z);
    y[base + 3u] = act(f32(x[base + 3u]) * f.w);
  } else {
    for (var c = 0u; base + c < p.n; c++) { y[base + c] = act(f32(x[base + c]) * f[c]); }
  }
}
