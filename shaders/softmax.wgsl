// Softmax over the last axis of x (rows, C), numerically stable, and its backward
// dx = y * (dy - sum(dy * y)). TPR invocations per row (shaders/rows.wgsl); the _vec4 entries
// serve rows with C % 4 == 0.
// The row's max m (NaN if any element is NaN) and s = sum exp(x - m) in one online pass over
// chunks, then y = exp(x - m) / s. A row whose max is -inf (every element
// -inf: fully masked) gives zeros, not NaN; a NaN anywhere in a row makes the whole row NaN.
//!include common.wgsl
//!include rows.wgsl

struct Params { rows: u32, C: u32 }
@group(0) @binding(0) var<uniform> p: Params;

override CHUNK: u32 = 256;   // elements per invocation per chunk of the online max / exp-sum

// (Named `xs`, not `x`: wgsl_reflect does not scope names, so a helper parameter `x` in an included
// file would count as a use of the binding by every entry point calling that helper; common.wgsl
// once had one.)
@group(0) @binding(1) var<storage, read> xs: array<act>;         // (rows, C)
@group(0) @binding(2) var<storage, read_write> y: array<act>;    // (rows, C)


@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  let lane = lane_of(lid);
  let valid = row < p.rows;
  let n = p.C;
  let base = min(row, p.rows - 1u) * p.C;   // rows past the end redo the last row, store nothing
  // Online max and exp-sum over chunks that stay in L1 (as in cross_entropy.wgsl): one exp per
  // element, the row read from memory once before the output pass.
  var m = neg_inf_f32();
  var s = 0.0;
  for (var c0 = 0u; c0 < n; c0 += CHUNK * TPR) {
    let c1 = min(n, c0 + CHUNK * TPR);
    var cm = m;
    for (var c = c0 + lane; c < c1; c += TPR) { cm = max_nan(cm, f32(xs[base + c])); }
    var cs = 0.0;
    if (!is_neg_inf(cm)) {
      for (var c = c0 + lane; c < c1; c += TPR) { cs += exp(f32(xs[base + c]) - cm); }
    }
    s = select(s * exp(m - cm), 0.0, s == 0.0) + cs;
    m = cm;
  }
  let rm = row_max(lid, m);
  s = row_sum(lid, select(s * exp(m - rm), 0.0, s == 0.0));
  m = rm;
  if (!valid) { return; }
  if (is_neg_inf(m)) {
    for (var c = lane; c < n; c += TPR) { y[base + c] = act(0.0); }
    return;
  }
  let inv = 1.0 / s;
  for (var c = lane; c < n; c += TPR) { y[base + c] = act(exp(f32(xs[base + c]) - m) * inv); }
}

@group(0) @binding(3) var<storage, read> dy: array<act>;               // (rows, C)
@group(0) @binding(4) var<storage, read> saved_y: array<act>;          // (rows, C)
@group(0) @binding(5) var<storage, read_write> dx: array<act>;         // (rows, C)

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  let lane = lane_of(lid);
  let valid = row < p.rows;
  let n = p.C;
  let base = min(row, p.rows - 1u) * p.C;
  var d = 0.0;
  for (var c = lane; c < n; c += TPR) { d += f32(dy[base + c]) * f32(saved_y[base + c]); }
  d = row_sum(lid, d);
  if (!valid) { return; }
  for (var c = lane; c < n; c += TPR) { dx[base + c] = act(f32(saved_y[base + c]) * (f32(dy[base + c]) - d)); }
}

// ---------------------------------------------------------------- vec4 rows (C % 4 == 0)

@group(0) @binding(6) var<storage, read> x4: array<vec4<act>>;
@group(0) @binding(7) var<storage, read_write> y4: array<vec4<act>>;

@compute @workgroup_size(WG)
fn forward_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  let lane = lane_of(lid);
  let valid = row < p.rows;
  let n = p.C / 4u;
  let base = min(row, p.rows - 1u) * n;
  var m = neg_inf_f32();
  var s = 0.0;
  for (var c0 = 0u; c0 < n; c0 += CHUNK * TPR) {
    let c1 = min(n, c0 + CHUNK * TPR);
    var cm4 = vec4<f32>(m);
    for (var c = c0 + lane; c < c1; c += TPR) { cm4 = max_nan4(cm4, vec4<f32>(x4[base + c])); }
    let cm = max_nan(max_nan(cm4.x, cm4.y), max_nan(cm4.z, cm4.w));
    var cs = vec4<f32>();
    if (!is_neg_inf(cm)) {
      for (var c = c0 + lane; c < c1; c += TPR) { cs += exp(vec4<f32>(x4[base + c]) - cm); }
    }
    s = select(s * exp(m - cm), 0.0, s == 0.0) + hsum(cs);
    m = cm;
  }
  let rm = row_max(lid, m);
  s = row_sum(lid, select(s * exp(m - rm), 0.0, s == 0.0));
  m = rm;
  if (!valid) { return; }
  if (is_neg_inf(m)) {
    for (var c = lane; c < n; c += TPR) { y4[base + c] = vec4<act>(vec4<f32>(0.0)); }
    return;
  }
  let inv = 1.0 / s;
  for (var c = lane; c < n; c += TPR) { y4[base + c] = vec4<act>(exp(vec4<f32>(x4[base + c]) - m) * inv); }
}

@group(0) @binding(8) var<storage, read> dy4: array<vec4<act>>;
@group(0) @binding(9) var<storage, read> saved_y4: array<vec4<act>>;
@group(0) @binding(10) var<storage, read_write> dx4: array<vec4<act>>;

@compute @workgroup_size(WG)
fn backward_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  let lane = lane_of(lid);
  let valid = row < p.rows;
  let n = p.C / 4u;
  let base = min(row, p.rows - 1u) * n;
  var d = vec4<f32>();
  for (var c = lane; c < n; c += TPR) { d += vec4<f32>(dy4[base + c]) * vec4<f32>(saved_y4[base + c]); }
  let t = row_sum(lid, hsum(d));
  if (!valid) { return; }
  for (var c = lane; c < n; c += TPR) { dx4[base + c] = vec4<act>(vec4<f32>(saved_y4[base + c]) * (vec4<f32>(dy4[base + c]) - t)); }
}
