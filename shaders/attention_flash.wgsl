// Fused softmax attention for hardware GPUs, flash-attention-2 style: the same entry points,
// bindings, uniforms, results and bits-per-run determinism as attention.wgsl (conventions in
// attention_kernels.wgsl), written for workgroup memory instead of lanes that hold whole rows.
//
// A workgroup of WG invocations owns ROWS = WG / T rows of one (b, h) (queries; keys in
// backward_kv), T invocations per row, each holding DS of its D dims in registers (dims
// t, t + T, t + 2T, ...: the T invocations of a row read consecutive words of a staged row, so
// no two of them hit the same bank). The other side streams through workgroup memory in blocks
// of BLK rows, staged with coalesced loads; every row of the block meets every owned row:
//   1. each invocation's partial dot products over its dims -> part_a (part_b: a second product)
//   2. each invocation sums its row's T partials: the block's scores, then the online softmax
//      (running max m, sum l, rescale exp(m_old - m_new)) or the gradient formulas
//   3. the owned accumulators take the block's rows, weighted by P (or dS)
// Registers per invocation: ~3 DS + BLK floats (DS <= 32), so nothing spills; no subgroups; 16 KiB
// of workgroup memory (the WebGPU default limit). The backward recomputes P from the saved lse:
//   backward_q:  dq = scale sum_j dS_ij k_j          (a workgroup owns queries, streams k and v)
//   backward_kv: dk = scale sum_i dS_ij q_i, dv = sum_i P_ij z_ij dout_i  (owns keys, streams q, dout)
// Any head dim from 1 to 512 (the launcher picks T, DS, BLK from D): TinyBERT's 26 too.
//!include attention_params.wgsl

@group(0) @binding(1) var<storage, read> q: array<act>;          // (B, S, H*D)
@group(0) @binding(2) var<storage, read> k: array<act>;
@group(0) @binding(3) var<storage, read> v: array<act>;
@group(0) @binding(5) var<storage, read_write> o: array<act>;    // out: forward writes, backward_prep reads
@group(0) @binding(7) var<storage, read> dout: array<act>;
@group(0) @binding(9) var<storage, read_write> dq: array<act>;
@group(0) @binding(10) var<storage, read_write> dk: array<act>;
@group(0) @binding(11) var<storage, read_write> dv: array<act>;

override WG: u32 = 64;       // invocations per workgroup
override T: u32 = 2;         // invocations per owned row: a power of two dividing WG
override DS: u32 = 32;       // dims per invocation, ceil(D / T) <= 32
override BLK: u32 = 16;      // streamed rows per block: BLK DP <= TILE (forward) or TILE / 2 (backward), WG BLK <= PART
override DP: u32 = T * DS;   // floats per staged row (derived: never set by the launcher)
override ROWS: u32 = WG / T; // owned rows per workgroup (derived)

// Fixed sizes (see matmul_tiled.wgsl): 8 KiB of staged rows, 2 x 4 KiB of partial products.
const TILE = 2048u;
const HALF = 1024u;
const PART = 1024u;
var<workgroup> tile: array<f32, TILE>;
var<workgroup> part_a: array<f32, PART>;
var<workgroup> part_b: array<f32, PART>;

// Float index of dim d of row i (clamped into the sequence) of head h in batch b.
fn at(b: u32, i: u32, h: u32, d: u32) -> u32 {
  return (b * p.S + min(i, p.S - 1u)) * p.HD + h * p.D + d;
}

struct Slot {
  r: u32,    // owned row within the workgroup
  t: u32,    // invocation within the row
  i: u32,    // the owned row's position (may be >= S: it computes but stores nothing)
  b: u32,
  h: u32,
  bh: u32,
}
fn slot_of(lid: u32, wid: vec3<u32>) -> Slot {
  return Slot(lid / T, lid % T, wid.x * ROWS + lid / T, wid.y / p.H, wid.y % p.H, wid.y);
}

// Where element e of a staged block of rows r0 .. r0 + BLK (BLK x DP floats) comes from: a float
// index into q, k, v or dout, or -1 past S or past D (staged as 0).
fn staged_at(e: u32, s: Slot, r0: u32) -> i32 {
  let j = e / DP;
  let d = e % DP;
  if (r0 + j >= p.S || d >= p.D) { return -1; }
  return i32(at(s.b, r0 + j, s.h, d));
}

// Where dim x of the owned row's share is, or -1 past D.
fn own_at(s: Slot, x: u32) -> i32 {
  let d = s.t + T * x;
  if (d >= p.D) { return -1; }
  return i32(at(s.b, s.i, s.h, d));
}

// One load per input (each entry point names only the bindings it uses), 0 at index -1.
fn load_q(a: i32) -> f32 { if (a < 0) { return 0.0; } return f32(q[a]); }
fn load_k(a: i32) -> f32 { if (a < 0) { return 0.0; } return f32(k[a]); }
fn load_v(a: i32) -> f32 { if (a < 0) { return 0.0; } return f32(v[a]); }
fn load_dout(a: i32) -> f32 { if (a < 0) { return 0.0; } return f32(dout[a]); }

// This invocation's share of own . (staged row j at tile[base ..]).
fn partial_dot(own: ptr<function, array<f32, 32>>, base: u32, j: u32, t: u32) -> f32 {
  var acc = 0.0;
  for (var x = 0u; x < DS; x++) { acc += (*own)[x] * tile[base + j * DP + t + T * x]; }
  return acc;
}

// acc += w * (staged row j at tile[base ..]), over this invocation's dims.
fn axpy(acc: ptr<function, array<f32, 32>>, w: f32, base: u32, j: u32, t: u32) {
  for (var x = 0u; x < DS; x++) { (*acc)[x] += w * tile[base + j * DP + t + T * x]; }
}

// The full dot product of owned row r with streamed row j: the sum of its T partials, in order.
fn row_sum(part: u32, r: u32, j: u32) -> f32 {
  var s = 0.0;
  for (var u = 0u; u < T; u++) {
    if (part == 0u) { s += part_a[(r * T + u) * BLK + j]; } else { s += part_b[(r * T + u) * BLK + j]; }
  }
  return s;
}

@compute @workgroup_size(WG)
fn forward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let s = slot_of(lid, wid);
  var qr: array<f32, 32>;
  var acc: array<f32, 32>;
  for (var x = 0u; x < DS; x++) { qr[x] = load_q(own_at(s, x)) * p.scale; }
  var m = neg_inf();
  var l = 0.0;
  for (var kb = 0u; kb < p.S; kb += BLK) {
    for (var e = lid; e < BLK * DP; e += WG) { tile[e] = load_k(staged_at(e, s, kb)); }
    workgroupBarrier();
    for (var j = 0u; j < BLK; j++) { part_a[lid * BLK + j] = partial_dot(&qr, 0u, j, s.t); }
    workgroupBarrier();
    // The keys are read: v takes their place while the scores are finished.
    for (var e = lid; e < BLK * DP; e += WG) { tile[e] = load_v(staged_at(e, s, kb)); }
    var sc: array<f32, 16>;
    var mb = neg_inf();
    for (var j = 0u; j < BLK; j++) {
      var x = neg_inf();
      if (kb + j < p.S) { x = row_sum(0u, s.r, j) + mask_at(s.b, kb + j); }
      sc[j] = x;
      mb = max(mb, x);
    }
    let mnew = max(m, mb);
    let mref = select(mnew, 0.0, mnew == neg_inf());
    let a = exp(m - mref);
    var lb = 0.0;
    for (var j = 0u; j < BLK; j++) {
      let pj = exp(sc[j] - mref);
      lb += pj;
      // One invocation of the row draws each key's dropout factor for all T of them.
      if (j % T == s.t) { part_b[s.r * BLK + j] = pj * keep_factor(s.bh, s.i, kb + j); }
    }
    m = mnew;
    l = l * a + lb;
    for (var x = 0u; x < DS; x++) { acc[x] *= a; }
    workgroupBarrier();
    for (var j = 0u; j < BLK; j++) { axpy(&acc, part_b[s.r * BLK + j], 0u, j, s.t); }
    workgroupBarrier();
  }
  if (s.i < p.S) {
    let inv = select(1.0 / l, 0.0, l == 0.0);
    for (var x = 0u; x < DS; x++) {
      let a = own_at(s, x);
      if (a >= 0) { o[a] = act(acc[x] * inv); }
    }
    if (s.t == 0u) { lse[s.bh * p.S + s.i] = select(m + log(l), neg_inf(), l == 0.0); }
  }
}

// stats[b, h, i] = (lse_i, delta_i = dout_i . out_i): one invocation per query row.
@compute @workgroup_size(WG)
fn backward_prep(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let bh = gid.y;
  if (i >= p.S) { return; }
  let a = at(bh / p.H, i, bh % p.H, 0u);
  var d = 0.0;
  for (var x = 0u; x < p.D; x++) { d += f32(dout[a + x]) * f32(o[a + x]); }
  stats[bh * p.S + i] = vec2<f32>(lse[bh * p.S + i], d);
}

@compute @workgroup_size(WG)
fn backward_q(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let s = slot_of(lid, wid);
  var qr: array<f32, 32>;
  var dor: array<f32, 32>;
  var g: array<f32, 32>;
  for (var x = 0u; x < DS; x++) {
    let a = own_at(s, x);
    qr[x] = load_q(a) * p.scale;
    dor[x] = load_dout(a);
  }
  let st = stats[s.bh * p.S + min(s.i, p.S - 1u)];
  for (var kb = 0u; kb < p.S; kb += BLK) {
    for (var e = lid; e < BLK * DP; e += WG) {
      let a = staged_at(e, s, kb);
      tile[e] = load_k(a);
      tile[HALF + e] = load_v(a);
    }
    workgroupBarrier();
    for (var j = 0u; j < BLK; j++) {
      part_a[lid * BLK + j] = partial_dot(&qr, 0u, j, s.t);
      part_b[lid * BLK + j] = partial_dot(&dor, HALF, j, s.t);
    }
    workgroupBarrier();
    for (var j = 0u; j < BLK; j++) {
      if (kb + j < p.S) {
        let sij = row_sum(0u, s.r, j) + mask_at(s.b, kb + j);
        let ds = p_and_ds(s.bh, s.i, kb + j, sij, row_sum(1u, s.r, j), st).y;
        axpy(&g, ds, 0u, j, s.t);
      }
    }
    workgroupBarrier();
  }
  if (s.i < p.S) {
    for (var x = 0u; x < DS; x++) {
      let a = own_at(s, x);
      if (a >= 0) { dq[a] = act(g[x] * p.scale); }
    }
  }
}

@compute @workgroup_size(WG)
fn backward_kv(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let s = slot_of(lid, wid);  // s.i is a key here
  var kr: array<f32, 32>;
  var vr: array<f32, 32>;
  for (var x = 0u; x < DS; x++) {
    let a = own_at(s, x);
    kr[x] = load_k(a) * p.scale;
    vr[x] = load_v(a);
  }
  var gk: array<f32, 32>;
  var gv: array<f32, 32>;
  let key_bias = mask_at(s.b, min(s.i, p.S - 1u));
  for (var qb = 0u; qb < p.S; qb += BLK) {
    for (var e = lid; e < BLK * DP; e += WG) {
      let a = staged_at(e, s, qb);
      tile[e] = load_q(a);
      tile[HALF + e] = load_dout(a);
    }
    workgroupBarrier();
    for (var i = 0u; i < BLK; i++) {
      part_a[lid * BLK + i] = partial_dot(&kr, 0u, i, s.t);
      part_b[lid * BLK + i] = partial_dot(&vr, HALF, i, s.t);
    }
    workgroupBarrier();
    for (var i = 0u; i < BLK; i++) {
      if (qb + i < p.S) {
        let sij = row_sum(0u, s.r, i) + key_bias;
        let st = stats[s.bh * p.S + qb + i];
        let w = p_and_ds(s.bh, qb + i, s.i, sij, row_sum(1u, s.r, i), st);
        axpy(&gv, w.x, HALF, i, s.t);
        axpy(&gk, w.y, 0u, i, s.t);
      }
    }
    workgroupBarrier();
  }
  if (s.i < p.S) {
    for (var x = 0u; x < DS; x++) {
      let a = own_at(s, x);
      if (a >= 0) {
        dk[a] = act(gk[x] * p.scale);
        dv[a] = act(gv[x]);
      }
    }
  }
}
