// Training metrics on the GPU, so a training loop reads them back only now and then.
//   argmax:     per row of x (rows, V) the index of the first maximum, as torch.argmax and
//               numpy.argmax give it: a NaN counts as the maximum (the first NaN wins). Row layout
//               of shaders/rows.wgsl (TPR invocations per row; TPR = 1 on a software adapter).
//   count:      one workgroup (of WG) adds, in a fixed order, (sum_i w_i [pred_i == label_i], sum_i w_i)
//               over the rows whose label is not ignore_index into acc[0..2] (acc += ..., in
//               place). BINARY: pred_i = (logits_i > 0), the decision of a single-logit head.
//   accumulate: acc[0] += x[0] * weight, acc[1] += weight (a running weighted mean's sums).
//!include common.wgsl
//!include rows.wgsl

struct Params {
  rows: u32,
  V: u32,
  ignore_index: i32,
  weight: f32,
}
@group(0) @binding(0) var<uniform> p: Params;

override BINARY: bool = false;

// ---------------------------------------------------------------- argmax

@group(0) @binding(1) var<storage, read> x: array<act>;               // (rows, V)
@group(0) @binding(2) var<storage, read_write> index: array<i32>;     // (rows)

var<workgroup> best_v: array<f32, WG>;
var<workgroup> best_i: array<u32, WG>;

// Whether candidate (v, i) beats the current best (bv, bi): NaN first, then the larger value,
// then the lower index.
fn beats(v: f32, i: u32, bv: f32, bi: u32) -> bool {
  let vn = is_nan(v);
  let bn = is_nan(bv);
  if (vn || bn) { return vn && (!bn || i < bi); }
  return v > bv || (v == bv && i < bi);
}

@compute @workgroup_size(WG)
fn argmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  // Indices inline, not through rows.wgsl's helpers (see CONTRIBUTING: the race detector).
  let row = (wid.x + wid.y * nwg.x) * (WG / TPR) + lid / TPR;
  let lane = lid % TPR;
  // Rows past the end redo the last row (so every invocation reaches the barriers) and store nothing.
  let r = min(row, p.rows - 1u);
  var bv = neg_inf_f32();
  var bi = 0xffffffffu;
  for (var c = lane; c < p.V; c += TPR) {
    let v = f32(x[r * p.V + c]);
    if (beats(v, c, bv, bi)) {
      bv = v;
      bi = c;
    }
  }
  if (TPR > 1u) {
    best_v[lid] = bv;
    best_i[lid] = bi;
    workgroupBarrier();
    for (var s = TPR / 2u; s > 0u; s >>= 1u) {
      if (lane < s) {
        let ov = best_v[lid + s];
        let oi = best_i[lid + s];
        if (beats(ov, oi, best_v[lid], best_i[lid])) {
          best_v[lid] = ov;
          best_i[lid] = oi;
        }
      }
      workgroupBarrier();
    }
    bi = best_i[lid - lane];
  }
  // A row of only -Infinity keeps no candidate above the start value: its first column wins.
  if (row < p.rows && lane == 0u) { index[row] = i32(select(bi, 0u, bi == 0xffffffffu)); }
}

// ---------------------------------------------------------------- count, accumulate

@group(0) @binding(3) var<storage, read> pred: array<i32>;            // (rows) predicted classes
@group(0) @binding(4) var<storage, read> logits: array<act>;          // (rows) BINARY: single logits
@group(0) @binding(5) var<storage, read> labels: array<i32>;          // (rows)
@group(0) @binding(6) var<storage, read> weights: array<f32>;         // (rows) when HAS_WEIGHTS
@group(0) @binding(7) var<storage, read_write> acc: array<f32>;       // (2) running sums
@group(0) @binding(8) var<storage, read> value: array<f32>;           // [] accumulate's input

override HAS_WEIGHTS: bool = false;

@compute @workgroup_size(WG)
fn count(@builtin(local_invocation_index) lid: u32) {
  var c = 0.0;
  var w = 0.0;
  for (var i = lid; i < p.rows; i += WG) {
    let label = labels[i];
    if (label == p.ignore_index) { continue; }
    var wi = 1.0;
    if (HAS_WEIGHTS) { wi = weights[i]; }
    var guess = 0;
    if (BINARY) { guess = select(0, 1, f32(logits[i]) > 0.0); } else { guess = pred[i]; }
    c += select(0.0, wi, guess == label);
    w += wi;
  }
  let t = seg_sum2(lid, WG, vec2<f32>(c, w));
  if (lid == 0u) {
    acc[0] = acc[0] + t.x;
    acc[1] = acc[1] + t.y;
  }
}

@compute @workgroup_size(1)
fn accumulate() {
  acc[0] = acc[0] + value[0] * p.weight;
  acc[1] = acc[1] + p.weight;
}
