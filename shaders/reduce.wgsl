// Reductions over one axis of a tensor viewed as (outer, len, inner), f32.
// `rows` (inner == 1): one workgroup per (row, chunk); the chunks of a long row are reduced
// again by a second launch. `columns` (inner > 1): one invocation per output, reading
// consecutive invocations' inputs from consecutive addresses.
//!include common.wgsl

struct Params { outer: u32, len: u32, inner: u32, chunks: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (outer, len, inner)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;   // rows: (outer, chunks); columns: (outer, inner)

override OP: u32 = 0;   // 0 sum (times scale: mean), 1 max
override WG: u32 = 256;

//!include reduce_wg.wgsl

fn identity() -> f32 {
  if (OP == 1u) { return -inf_f32(); }
  return 0.0;
}

fn combine(a: f32, b: f32) -> f32 {
  if (OP == 1u) { return max_nan(a, b); }
  return a + b;
}

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.outer * p.chunks) { return; }
  let row = g / p.chunks;
  let per = (p.len + p.chunks - 1u) / p.chunks;
  let start = (g % p.chunks) * per;
  let end = min(p.len, start + per);
  var acc = identity();
  for (var i = start + lid; i < end; i += WG) {
    acc = combine(acc, x[row * p.len + i]);
  }
  var r = 0.0;
  if (OP == 1u) { r = seg_max(lid, WG, acc); } else { r = seg_sum(lid, WG, acc); }
  if (lid == 0u) {
    y[g] = select(r * p.scale, r, OP == 1u);
  }
}

@compute @workgroup_size(WG)
fn columns(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.outer * p.inner) { return; }
  let o = i / p.inner;
  let c = i % p.inner;
  var acc = identity();
  for (var k = 0u; k < p.len; k++) {
    acc = combine(acc, x[(o * p.len + k) * p.inner + c]);
  }
  y[i] = select(acc * p.scale, acc, OP == 1u);
}
