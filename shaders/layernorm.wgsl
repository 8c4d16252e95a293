// LayerNorm over the last axis of x (rows, C): y = (x - mean) * rstd * gamma + beta, with
// rstd = 1 / sqrt(var + eps) and var the biased variance. mean and rstd are saved for the backward.
// The statistics take one read of the row (Welford's running mean and sum of squared deviations
// per invocation, merged across invocations exactly as Chan et al.), as accurate as the two-pass
// formula and without its second read: on lavapipe every read of the row costs as much as a copy.
//
// forward, backward_dx: TPR invocations per row (shaders/rows.wgsl). The _vec4 entries need
// C % 4 == 0; the scalar ones take any C.
//   dx = rstd * (dy*gamma - mean(dy*gamma) - xhat * mean(dy*gamma*xhat)),  xhat = (x - mean) * rstd
// backward_params: one invocation per (column, block of rows) sums dy*xhat and dy over its rows in
// order into partial (blocks, 2, C); `columns` sums the blocks in order into dgamma and dbeta. The
// order never depends on scheduling, so the result is the same bits every run.
//!include common.wgsl
//!include rows.wgsl

struct Params {
  rows: u32,
  C: u32,
  eps: f32,
  rows_per_block: u32,
  blocks: u32,
}
@group(0) @binding(0) var<uniform> p: Params;

// ---------------------------------------------------------------- forward

// The row's mean and sum of squared deviations from the invocations' (count, mean, squared
// deviations): the mean weighted by counts, then each part's deviations plus count * (its mean -
// the row's)^2. Invocations with no elements (count 0) add nothing.
fn row_stats(lid: u32, count: f32, lane_mean: f32, lane_sq: f32) -> vec2<f32> {
  let mu = row_sum(lid, count * lane_mean) / f32(p.C);
  let dl = lane_mean - mu;
  return vec2<f32>(mu, row_sum(lid, lane_sq + count * dl * dl));
}

@group(0) @binding(1) var<storage, read> x: array<act>;          // (rows, C)
@group(0) @binding(2) var<storage, read> gamma: array<f32>;      // (C)
@group(0) @binding(3) var<storage, read> beta: array<f32>;       // (C)
@group(0) @binding(4) var<storage, read_write> y: array<act>;    // (rows, C)
@group(0) @binding(5) var<storage, read_write> mean: array<f32>; // (rows)
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>; // (rows)

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  let lane = lane_of(lid);
  let valid = row < p.rows;
  let n = p.C;
  let base = min(row, p.rows - 1u) * p.C;   // see rows.wgsl: rows past the end redo the last row, store nothing
  var k = 0.0;   // elements this invocation has seen
  var m = 0.0;   // their mean
  var q = 0.0;   // their sum of squared deviations from m
  let shift = f32(x[base]);   // statistics of x - shift: rounding scales with the spread, not the offset
  for (var c = lane; c < n; c += TPR) {
    let v = f32(x[base + c]) - shift;
    k += 1.0;
    let d = v - m;
    m += d / k;
    q += d * (v - m);
  }
  let stats = row_stats(lid, k, m, q);
  let mu = shift + stats.x;
  let r = inverseSqrt(stats.y / f32(p.C) + p.eps);
  if (valid) {
    for (var c = lane; c < n; c += TPR) {
      y[base + c] = act((f32(x[base + c]) - mu) * r * gamma[c] + beta[c]);
    }
  }
  if (lane == 0u && valid) {
    mean[row] = mu;
    rstd[row] = r;
  }
}

@group(0) @binding(7) var<storage, read> x4: array<vec4<act>>;
@group(0) @binding(8) var<storage, read> gamma4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> beta4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read_write> y4: array<vec4<act>>;

@compute @workgroup_size(WG)
fn forward_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  let lane = lane_of(lid);
  let C4 = p.C / 4u;
  let valid = row < p.rows;
  let n = C4;
  let base = min(row, p.rows - 1u) * C4;
  var k = 0.0;               // elements each component has seen
  var m = vec4<f32>();       // four running means, one per component
  var q = vec4<f32>();       // and their sums of squared deviations
  let shift = vec4<f32>(x4[base]).x;    // statistics of x - shift: rounding scales with the spread, not the offset
  for (var c = lane; c < n; c += TPR) {
    let v = vec4<f32>(x4[base + c]) - shift;
    k += 1.0;
    let d = v - m;
    m += d * (1.0 / k);
    q += d * (v - m);
  }
  // The four components' statistics merged into this invocation's (4k elements).
  let lane_mean = hsum(m) * 0.25;
  let dm = m - lane_mean;
  let stats = row_stats(lid, 4.0 * k, lane_mean, hsum(q) + k * dot(dm, dm));
  let mu = shift + stats.x;
  let r = inverseSqrt(stats.y / f32(p.C) + p.eps);
  if (valid) {
    for (var c = lane; c < n; c += TPR) {
      y4[base + c] = vec4<act>((vec4<f32>(x4[base + c]) - mu) * r * gamma4[c] + beta4[c]);
    }
  }
  if (lane == 0u && valid) {
    mean[row] = mu;
    rstd[row] = r;
  }
}

// ---------------------------------------------------------------- backward: dx

@group(0) @binding(11) var<storage, read> dy: array<act>;               // (rows, C)
@group(0) @binding(12) var<storage, read> saved_mean: array<f32>;       // (rows)
@group(0) @binding(13) var<storage, read> saved_rstd: array<f32>;       // (rows)
@group(0) @binding(14) var<storage, read_write> dx: array<act>;         // (rows, C)

@compute @workgroup_size(WG)
fn backward_dx(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  let lane = lane_of(lid);
  let valid = row < p.rows;
  let rc = min(row, p.rows - 1u);
  let n = p.C;
  let base = rc * p.C;
  let mu = saved_mean[rc];
  let rs = saved_rstd[rc];
  var a = vec2<f32>();
  for (var c = lane; c < n; c += TPR) {
    let g = f32(dy[base + c]) * gamma[c];
    a += vec2<f32>(g, g * (f32(x[base + c]) - mu) * rs);
  }
  let m = row_sum2(lid, a) / f32(p.C);
  if (!valid) { return; }
  for (var c = lane; c < n; c += TPR) {
    let xhat = (f32(x[base + c]) - mu) * rs;
    dx[base + c] = act(rs * (f32(dy[base + c]) * gamma[c] - m.x - xhat * m.y));
  }
}

@group(0) @binding(15) var<storage, read> dy4: array<vec4<act>>;
@group(0) @binding(16) var<storage, read_write> dx4: array<vec4<act>>;

@compute @workgroup_size(WG)
fn backward_dx_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  let lane = lane_of(lid);
  let valid = row < p.rows;
  let rc = min(row, p.rows - 1u);
  let C4 = p.C / 4u;
  let n = C4;
  let base = rc * C4;
  let mu = saved_mean[rc];
  let rs = saved_rstd[rc];
  var a = vec4<f32>();
  var b = vec4<f32>();
  for (var c = lane; c < n; c += TPR) {
    let g = vec4<f32>(dy4[base + c]) * gamma4[c];
    a += g;
    b += g * (vec4<f32>(x4[base + c]) - mu) * rs;
  }
  let m = row_sum2(lid, vec2<f32>(hsum(a), hsum(b))) / f32(p.C);
  if (!valid) { return; }
  for (var c = lane; c < n; c += TPR) {
    let xhat = (vec4<f32>(x4[base + c]) - mu) * rs;
    dx4[base + c] = vec4<act>(rs * (vec4<f32>(dy4[base + c]) * gamma4[c] - m.x - xhat * m.y));
  }
}

// ---------------------------------------------------------------- backward: dgamma, dbeta

@group(0) @binding(17) var<storage, read_write> partial: array<f32>;    // (blocks, 2, C)

// One invocation per (column, block): sums over the block's rows in order.
@compute @workgroup_size(WG)
fn backward_params(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.C * p.blocks) { return; }
  let c = i % p.C;
  let blk = i / p.C;
  let r0 = blk * p.rows_per_block;
  let r1 = min(p.rows, r0 + p.rows_per_block);
  var g = 0.0;
  var b = 0.0;
  for (var r = r0; r < r1; r++) {
    let d = f32(dy[r * p.C + c]);
    g += d * (f32(x[r * p.C + c]) - saved_mean[r]) * saved_rstd[r];
    b += d;
  }
  partial[blk * 2u * p.C + c] = g;
  partial[blk * 2u * p.C + p.C + c] = b;
}

@group(0) @binding(21) var<storage, read_write> partial4: array<vec4<f32>>;   // (blocks, 2, C/4)

// backward_params over vec4 columns (C % 4 == 0).
@compute @workgroup_size(WG)
fn backward_params_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let C4 = p.C / 4u;
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= C4 * p.blocks) { return; }
  let c = i % C4;
  let blk = i / C4;
  let r0 = blk * p.rows_per_block;
  let r1 = min(p.rows, r0 + p.rows_per_block);
  var g = vec4<f32>();
  var b = vec4<f32>();
  for (var r = r0; r < r1; r++) {
    let d = vec4<f32>(dy4[r * C4 + c]);
    g += d * (vec4<f32>(x4[r * C4 + c]) - saved_mean[r]) * saved_rstd[r];
    b += d;
  }
  partial4[blk * 2u * C4 + c] = g;
  partial4[blk * 2u * C4 + C4 + c] = b;
}

@group(0) @binding(18) var<storage, read> partials: array<f32>;          // (blocks, 2, C)
@group(0) @binding(19) var<storage, read_write> dgamma: array<f32>;      // (C)
@group(0) @binding(20) var<storage, read_write> dbeta: array<f32>;       // (C)

@compute @workgroup_size(WG)
fn columns(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  var g = 0.0;
  var b = 0.0;
  for (var k = 0u; k < p.blocks; k++) {
    g += partials[k * 2u * p.C + c];
    b += partials[k * 2u * p.C + p.C + c];
  }
  dgamma[c] = g;
  dbeta[c] = b;
}
