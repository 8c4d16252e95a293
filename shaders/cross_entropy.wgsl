// Sparse softmax cross-entropy over logits (N, V) with integer labels (N), fused: no softmax is
// ever stored.
//   forward:   per row (TPR invocations, shaders/rows.wgsl; vec4 loads) lse = m + log(sum exp(x - m)),
//              loss_i = lse - x[label]; writes lse (N) and (w_i * loss_i, w_i) to rowloss (N, 2).
//   reduce:    one workgroup sums rowloss in a fixed order: loss = sum(w loss) / sum(w), 0 when
//              sum(w) == 0 (every row ignored, or weights zero) — never NaN from that.
//   scale:     one workgroup: scale = dLoss / sum(w) (0 when sum(w) == 0), for the backward.
//   backward:  dlogits = (exp(x - lse) - onehot(label)) * w_i * scale, straight from the saved lse;
//              backward_vec4 (V >= 4) reads and writes vec4s, see below.
// Rows whose label is IGNORE have weight 0, loss 0 and zero gradient. A label outside [0, V) that
// is not IGNORE makes that row's loss NaN (so the mean is NaN) and its gradient row NaN, and the
// forward reports it to its guard slot (guard.wgsl): the next download raises an error naming it.
//!include common.wgsl
//!include rows.wgsl
//!include guard.wgsl

struct Params {
  rows: u32,
  V: u32,
  ignore_index: i32,
  dloss: f32,       // backward: dLoss when no dloss tensor is bound (HAS_DLOSS = false)
  guard_slot: u32,  // forward: where a bad label is reported
}
@group(0) @binding(0) var<uniform> p: Params;

override HAS_WEIGHTS: bool = false;
override HAS_DLOSS: bool = false;
override CHUNK: u32 = 256;   // elements per invocation per chunk of the online log-sum-exp

@group(0) @binding(1) var<storage, read> logits: array<act>;          // (N, V)
@group(0) @binding(2) var<storage, read> labels: array<i32>;          // (N)
// (N) per-row weights; when HAS_WEIGHTS is false the launcher binds `labels` here and it is never read.
@group(0) @binding(3) var<storage, read> weights: array<f32>;


// (weight, label is in range) for a row; an ignored row has weight 0.
fn row_weight(row: u32) -> vec2<f32> {
  let label = labels[row];
  if (label == p.ignore_index) { return vec2<f32>(0.0, 1.0); }
  var w = 1.0;
  if (HAS_WEIGHTS) { w = weights[row]; }
  let ok = label >= 0 && u32(label) < p.V;
  return vec2<f32>(w, select(0.0, 1.0, ok));
}

// ---------------------------------------------------------------- forward

@group(0) @binding(4) var<storage, read_write> lse: array<f32>;       // (N)
@group(0) @binding(5) var<storage, read_write> rowloss: array<f32>;   // (N, 2): w * loss, w
@group(0) @binding(13) var<storage, read> logits4: array<vec4<act>>;  // the logits buffer, whole, as vec4s

// Column of the e-th edge element of a row: the head [0, head), then the tail from `tail`.
fn edge_col(e: u32, head: u32, tail: u32) -> u32 {
  return select(tail + e - head, e, e < head);
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  let lane = lane_of(lid);
  let valid = row < p.rows;
  let n = p.V;
  let base = min(row, p.rows - 1u) * p.V;   // rows past the end redo the last row, store nothing
  // Online log-sum-exp over chunks that stay in L1: each chunk's max, then its exp-sum against the
  // running max; the running sum is rescaled once per chunk, so one exp per element, and the row
  // is read from memory once. A row starts at any alignment (V % 4 != 0, e.g. 30522), so it is
  // read as a scalar head up to the first 16-byte boundary, a body of vec4s and a scalar tail.
  let head = min(n, (4u - base % 4u) % 4u);
  let body = (n - head) / 4u;          // vec4s
  let b4 = (base + head) / 4u;
  let tail = head + 4u * body;         // first element of the tail, within the row
  let edges = head + (n - tail);       // at most 6 scalars, taken as the first chunk
  var m = neg_inf_f32();
  for (var e = lane; e < edges; e += TPR) { m = max_nan(m, f32(logits[base + edge_col(e, head, tail)])); }
  var s = 0.0;
  if (!is_neg_inf(m)) {
    for (var e = lane; e < edges; e += TPR) { s += exp(f32(logits[base + edge_col(e, head, tail)]) - m); }
  }
  for (var k0 = 0u; k0 < body; k0 += CHUNK * TPR) {
    let k1 = min(body, k0 + CHUNK * TPR);
    var cm4 = vec4<f32>(m);
    for (var k = k0 + lane; k < k1; k += TPR) { cm4 = max_nan4(cm4, vec4<f32>(logits4[b4 + k])); }
    let cm = max_nan(max_nan(cm4.x, cm4.y), max_nan(cm4.z, cm4.w));
    var cs = vec4<f32>();
    if (!is_neg_inf(cm)) {
      for (var k = k0 + lane; k < k1; k += TPR) { cs += exp(vec4<f32>(logits4[b4 + k]) - cm); }
    }
    s = select(s * exp(m - cm), 0.0, s == 0.0) + hsum(cs);
    m = cm;
  }
  // Combine the row's lanes: the max of their maxima, their sums rescaled to it.
  let rm = row_max(lid, m);
  s = row_sum(lid, select(s * exp(m - rm), 0.0, s == 0.0));
  m = rm;
  if (lane != 0u || !valid) { return; }
  let l = m + log(s);
  lse[row] = l;
  let label = labels[row];
  let wo = row_weight(row);
  if (label == p.ignore_index) {
    rowloss[2u * row] = 0.0;
    rowloss[2u * row + 1u] = 0.0;
    return;
  }
  var li = nan_f32();   // (not named `loss`: wgsl_reflect would take it for the binding)
  if (wo.y > 0.0) { li = l - f32(logits[base + u32(label)]); } else { guard_report(p.guard_slot, row, bitcast<u32>(label)); }
  rowloss[2u * row] = wo.x * li;
  rowloss[2u * row + 1u] = wo.x;
}

// ---------------------------------------------------------------- reduce, scale
// One workgroup of WG (the launcher passes 256) sums every row.

@group(0) @binding(6) var<storage, read> rowloss_in: array<f32>;     // (N, 2)
@group(0) @binding(7) var<storage, read_write> loss: array<f32>;     // [] the mean loss

@compute @workgroup_size(WG)
fn reduce(@builtin(local_invocation_index) lid: u32) {
  var acc = vec2<f32>();
  for (var r = lid; r < p.rows; r += WG) {
    acc += vec2<f32>(rowloss_in[2u * r], rowloss_in[2u * r + 1u]);
  }
  let t = seg_sum2(lid, WG, acc);
  if (lid == 0u) { loss[0] = select(0.0, t.x / t.y, t.y != 0.0); }
}

@group(0) @binding(8) var<storage, read> dloss_t: array<f32>;        // [] (HAS_DLOSS)
@group(0) @binding(9) var<storage, read_write> scale: array<f32>;    // [1]

@compute @workgroup_size(WG)
fn scale_from_weights(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var r = lid; r < p.rows; r += WG) { acc += row_weight(r).x; }
  let t = seg_sum(lid, WG, acc);
  if (lid == 0u) {
    var d = p.dloss;
    if (HAS_DLOSS) { d = dloss_t[0]; }
    scale[0] = select(0.0, d / t, t != 0.0);
  }
}

// ---------------------------------------------------------------- backward

@group(0) @binding(10) var<storage, read> saved_lse: array<f32>;     // (N)
@group(0) @binding(11) var<storage, read> scale_in: array<f32>;      // [1]
@group(0) @binding(12) var<storage, read_write> dlogits: array<act>; // (N, V)

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  if (row >= p.rows) { return; }   // no reductions below
  let lane = lane_of(lid);
  let base = row * p.V;
  let label = labels[row];
  let wo = row_weight(row);
  if (label == p.ignore_index) {
    for (var c = lane; c < p.V; c += TPR) { dlogits[base + c] = act(0.0); }
    return;
  }
  var k = wo.x * scale_in[0];
  if (wo.y == 0.0) { k = nan_f32(); }
  let l = saved_lse[row];
  let tgt = u32(label);
  for (var c = lane; c < p.V; c += TPR) {
    let sm = exp(f32(logits[base + c]) - l);
    dlogits[base + c] = act((sm - select(0.0, 1.0, c == tgt)) * k);
  }
}

// The backward for V >= 4 with vec4 loads and stores. Row r owns the vec4s whose first element is
// in it: q in [ceil(rV / 4), ceil((r+1)V / 4)). All but the last lie inside the row; the last may
// run into the next row (or, for the last row, into the buffer's padding), and is written
// element by element with each element's own row. Each vec4 has exactly one writer.
@group(0) @binding(14) var<storage, read_write> dlogits4: array<vec4<act>>;   // the whole buffer

// `ignored` is 1 or 0, a u32 rather than a bool: wgsl_reflect's interpreter (test/shaders.test.ts)
// cannot read a bool member of a struct value.
struct RowGrad { l: f32, k: f32, tgt: u32, ignored: u32 }

fn row_grad(row: u32) -> RowGrad {
  let label = labels[row];
  let wo = row_weight(row);
  var k = wo.x * scale_in[0];
  if (wo.y == 0.0) { k = nan_f32(); }
  return RowGrad(saved_lse[row], k, u32(label), select(0u, 1u, label == p.ignore_index));
}

fn grad_at(g: RowGrad, col: u32, x: f32) -> f32 {
  if (g.ignored != 0u) { return 0.0; }
  return (exp(x - g.l) - select(0.0, 1.0, col == g.tgt)) * g.k;
}

@compute @workgroup_size(WG)
fn backward_vec4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg, lid);
  if (row >= p.rows) { return; }   // no reductions here
  let lane = lane_of(lid);
  let rb = row * p.V;
  let re = rb + p.V;
  let q0 = (rb + 3u) / 4u;
  let q1 = (re + 3u) / 4u;
  let qfull = re / 4u;              // vec4s before this lie entirely in the row
  let g = row_grad(row);
  let l4 = vec4<f32>(g.l);
  for (var q = q0 + lane; q < qfull; q += TPR) {
    let col = vec4<u32>(4u * q - rb) + vec4<u32>(0u, 1u, 2u, 3u);
    let onehot = select(vec4<f32>(0.0), vec4<f32>(1.0), col == vec4<u32>(g.tgt));
    dlogits4[q] = vec4<act>(select((exp(vec4<f32>(logits4[q]) - l4) - onehot) * g.k, vec4<f32>(0.0), g.ignored != 0u));
  }
  let last = q1 - 1u;
  if (last >= qfull && last >= q0 && (last - q0) % TPR == lane) {
    let next = min(row + 1u, p.rows - 1u);
    let gn = row_grad(next);
    let v = vec4<f32>(logits4[last]);
    var out = vec4<f32>(0.0);
    for (var j = 0u; j < 4u; j++) {
      let e = 4u * last + j;
      if (e < re) { out[j] = grad_at(g, e - rb, v[j]); }
      else if (row + 1u < p.rows) { out[j] = grad_at(gn, e - re, v[j]); }
    }
    dlogits4[last] = vec4<act>(out);
  }
}
