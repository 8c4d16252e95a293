// Fused softmax attention for adapters without subgroups: the same kernels, bindings, uniforms and
// results as attention.wgsl (see attention_kernels.wgsl for the conventions), written plainly.
// One invocation owns one row (a query; a key in backward_kv) and walks the other side one row at
// a time, reading it straight from memory: on a GPU every invocation of a workgroup reads the same
// address (a broadcast from cache); nothing is exchanged, so there are no barriers. On lavapipe this
// runs several times slower than attention.wgsl, whose subgroup exchanges it exists to replace.
//!include philox.wgsl

struct Params {
  S: u32,
  H: u32,
  HD4: u32,
  D4: u32,
  scale: f32,
  threshold: u32,
  drop_scale: f32,
  seed_lo: u32,
  seed_hi: u32,
  has_mask: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;           // (B, S, H*D)
@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;           // (B, S, H*D)
@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;           // (B, S, H*D)
@group(0) @binding(4) var<storage, read> mask: array<f32>;              // (B, S) additive, if has_mask
@group(0) @binding(5) var<storage, read_write> o: array<vec4<f32>>;     // (B, S, H*D)
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;         // (B, H, S)
@group(0) @binding(7) var<storage, read> dout: array<vec4<f32>>;        // (B, S, H*D)
@group(0) @binding(8) var<storage, read_write> stats: array<vec2<f32>>; // (B, H, S) (lse, delta)
@group(0) @binding(9) var<storage, read_write> dq: array<vec4<f32>>;    // (B, S, H*D)
@group(0) @binding(10) var<storage, read_write> dk: array<vec4<f32>>;   // (B, S, H*D)
@group(0) @binding(11) var<storage, read_write> dv: array<vec4<f32>>;   // (B, S, H*D)

override WG: u32 = 64;
override DC: u32 = 4;  // unused here; accepted so both variants take the same overrides
override R: u32 = 1;   // unused here

var<private> NEG_INF_BITS: u32 = 0xff800000u;
fn neg_inf() -> f32 { return bitcast<f32>(NEG_INF_BITS); }

fn row_at(b: u32, i: u32, hoff: u32) -> u32 {
  return (b * p.S + min(i, p.S - 1u)) * p.HD4 + hoff;
}

fn mask_at(b: u32, j: u32) -> f32 {
  if (p.has_mask == 0u) { return 0.0; }
  let m = mask[b * p.S + j];
  return select(m, neg_inf(), m <= -1e30);
}

// Dropout factor (0 or 1 / (1 - rate)) of query i, key j (the word of the pair's Philox call).
fn keep(bh: u32, i: u32, j: u32) -> f32 {
  if (p.threshold == 0u) { return 1.0; }
  let w = philox4x32_10(vec4<u32>(j >> 1u, i >> 1u, bh, PHILOX_ATTENTION), vec2<u32>(p.seed_lo, p.seed_hi));
  let f = philox_keep4(w, p.threshold, p.drop_scale);
  return f[(i & 1u) * 2u + (j & 1u)];
}

// One row per invocation: wid.x * WG + lid of head wid.y.
struct Lane { i: u32, b: u32, bh: u32, hoff: u32 }
fn lane_of(lid: u32, wid: vec3<u32>) -> Lane {
  return Lane(wid.x * WG + lid, wid.y / p.H, wid.y, (wid.y % p.H) * p.D4);
}

@compute @workgroup_size(WG)
fn forward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let ln = lane_of(lid, wid);
  let at = row_at(ln.b, ln.i, ln.hoff);
  var qr: array<vec4<f32>, 32>;
  var acc: array<vec4<f32>, 32>;
  for (var x = 0u; x < p.D4; x++) { qr[x] = q[at + x] * p.scale; }
  var m = neg_inf();
  var l = 0.0;
  for (var j = 0u; j < p.S; j++) {
    let kat = row_at(ln.b, j, ln.hoff);
    var s = 0.0;
    for (var x = 0u; x < p.D4; x++) { s += dot(qr[x], k[kat + x]); }
    s += mask_at(ln.b, j);
    let mnew = max(m, s);
    let mref = select(mnew, 0.0, mnew == neg_inf());
    let a = exp(m - mref);
    let pj = exp(s - mref);
    m = mnew;
    l = l * a + pj;
    let w = pj * keep(ln.bh, ln.i, j);
    for (var x = 0u; x < p.D4; x++) { acc[x] = acc[x] * a + w * v[kat + x]; }
  }
  if (ln.i < p.S) {
    let inv = select(1.0 / l, 0.0, l == 0.0);
    for (var x = 0u; x < p.D4; x++) { o[at + x] = acc[x] * inv; }
    lse[ln.bh * p.S + ln.i] = select(m + log(l), neg_inf(), l == 0.0);
  }
}

@compute @workgroup_size(WG)
fn backward_prep(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let bh = gid.y;
  if (i >= p.S) { return; }
  let at = row_at(bh / p.H, i, (bh % p.H) * p.D4);
  var d = 0.0;
  for (var x = 0u; x < p.D4; x++) { d += dot(dout[at + x], o[at + x]); }
  stats[bh * p.S + i] = vec2<f32>(lse[bh * p.S + i], d);
}

// P and dS of query i, key j (dp: dout_i . v_j): P = 0 where the key is masked or the row is empty.
fn grads(bh: u32, i: u32, j: u32, s: f32, dp: f32, st: vec2<f32>) -> vec2<f32> {
  let pij = select(exp(s - st.x), 0.0, st.x == neg_inf());
  let z = keep(bh, i, j);
  return vec2<f32>(pij * z, pij * (dp * z - st.y));
}

@compute @workgroup_size(WG)
fn backward_q(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let ln = lane_of(lid, wid);
  let at = row_at(ln.b, ln.i, ln.hoff);
  var qr: array<vec4<f32>, 32>;
  var dor: array<vec4<f32>, 32>;
  var g: array<vec4<f32>, 32>;
  for (var x = 0u; x < p.D4; x++) { qr[x] = q[at + x] * p.scale; dor[x] = dout[at + x]; }
  let st = stats[ln.bh * p.S + min(ln.i, p.S - 1u)];
  for (var j = 0u; j < p.S; j++) {
    let kat = row_at(ln.b, j, ln.hoff);
    var s = 0.0;
    var dp = 0.0;
    for (var x = 0u; x < p.D4; x++) { s += dot(qr[x], k[kat + x]); dp += dot(dor[x], v[kat + x]); }
    let ds = grads(ln.bh, ln.i, j, s + mask_at(ln.b, j), dp, st).y;
    for (var x = 0u; x < p.D4; x++) { g[x] += ds * k[kat + x]; }
  }
  if (ln.i < p.S) {
    for (var x = 0u; x < p.D4; x++) { dq[at + x] = g[x] * p.scale; }
  }
}

@compute @workgroup_size(WG)
fn backward_kv(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let ln = lane_of(lid, wid);  // ln.i is a key here
  let at = row_at(ln.b, ln.i, ln.hoff);
  var kr: array<vec4<f32>, 32>;
  var vr: array<vec4<f32>, 32>;
  var gk: array<vec4<f32>, 32>;
  var gv: array<vec4<f32>, 32>;
  for (var x = 0u; x < p.D4; x++) { kr[x] = k[at + x] * p.scale; vr[x] = v[at + x]; }
  let bias = mask_at(ln.b, min(ln.i, p.S - 1u));
  for (var i = 0u; i < p.S; i++) {
    let qat = row_at(ln.b, i, ln.hoff);
    var s = 0.0;
    var dp = 0.0;
    for (var x = 0u; x < p.D4; x++) { s += dot(kr[x], q[qat + x]); dp += dot(vr[x], dout[qat + x]); }
    let w = grads(ln.bh, i, ln.i, s + bias, dp, stats[ln.bh * p.S + i]);
    for (var x = 0u; x < p.D4; x++) { gv[x] += w.x * dout[qat + x]; gk[x] += w.y * q[qat + x]; }
  }
  if (ln.i < p.S) {
    for (var x = 0u; x < p.D4; x++) { dk[at + x] = gk[x] * p.scale; dv[at + x] = gv[x]; }
  }
}
