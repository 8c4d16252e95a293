// Softmax over the last axis of x (rows, C), numerically stable, and its backward
// dx = y * (dy - sum(dy * y)). TPR invocations per row (shaders/rows.wgsl).
// Three passes over the row: its max m (NaN if any element is NaN), s = sum exp(x - m), and
// y = exp(x - m) / s; the row is re-read from cache. A row whose max is -inf (every element
// -inf: fully masked) gives zeros, not NaN; a NaN anywhere in a row makes the whole row NaN.
//!include common.wgsl
//!include rows.wgsl

struct Params { rows: u32, C: u32 }
@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> x: array<f32>;          // (rows, C)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;    // (rows, C)


@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  let lane = lane_of(lid);
  let n = select(0u, p.C, row < p.rows);
  let base = row * p.C;
  var m = neg_inf_f32();
  for (var c = lane; c < n; c += TPR) { m = max_nan(m, x[base + c]); }
  m = row_max(lid, m);
  var s = 0.0;
  for (var c = lane; c < n; c += TPR) { s += exp(x[base + c] - m); }
  s = row_sum(lid, s);
  if (is_neg_inf(m)) {
    for (var c = lane; c < n; c += TPR) { y[base + c] = 0.0; }
    return;
  }
  let inv = 1.0 / s;
  for (var c = lane; c < n; c += TPR) { y[base + c] = exp(x[base + c] - m) * inv; }
}

@group(0) @binding(3) var<storage, read> dy: array<f32>;               // (rows, C)
@group(0) @binding(4) var<storage, read> saved_y: array<f32>;          // (rows, C)
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;         // (rows, C)

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  let lane = lane_of(lid);
  let n = select(0u, p.C, row < p.rows);
  let base = row * p.C;
  var d = 0.0;
  for (var c = lane; c < n; c += TPR) { d += dy[base + c] * saved_y[base + c]; }
  d = row_sum(lid, d);
  for (var c = lane; c < n; c += TPR) { dx[base + c] = saved_y[base + c] * (dy[base + c] - d); }
}
