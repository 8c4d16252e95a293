// Fused softmax attention for adapters without subgroups: the same kernels, bindings, uniforms and
// results as attention.wgsl (see attention_kernels.wgsl for the conventions), written plainly.
// One invocation owns one row (a query; a key in backward_kv) and walks the other side one row at
// a time, reading it straight from memory: on a GPU every invocation of a workgroup reads the same
// address (a broadcast from cache); nothing is exchanged, so there are no barriers. On lavapipe this
// runs several times slower than attention.wgsl, whose subgroup exchanges it exists to replace.
//!include attention_common.wgsl

override WG: u32 = 64;
override DC: u32 = 4;  // unused here; accepted so both variants take the same overrides
override R: u32 = 1;   // unused here

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
  for (var x = 0u; x < p.D4; x++) { qr[x] = vec4<f32>(q[at + x]) * p.scale; }
  var m = neg_inf();
  var l = 0.0;
  for (var j = 0u; j < p.S; j++) {
    let kat = row_at(ln.b, j, ln.hoff);
    var s = 0.0;
    for (var x = 0u; x < p.D4; x++) { s += dot(qr[x], vec4<f32>(k[kat + x])); }
    s += mask_at(ln.b, j);
    let mnew = max(m, s);
    let mref = select(mnew, 0.0, mnew == neg_inf());
    let a = exp(m - mref);
    let pj = exp(s - mref);
    m = mnew;
    l = l * a + pj;
    let w = pj * keep_factor(ln.bh, ln.i, j);
    for (var x = 0u; x < p.D4; x++) { acc[x] = acc[x] * a + w * vec4<f32>(v[kat + x]); }
  }
  if (ln.i < p.S) {
    let inv = select(1.0 / l, 0.0, l == 0.0);
    for (var x = 0u; x < p.D4; x++) { o[at + x] = vec4<act>(acc[x] * inv); }
    lse[ln.bh * p.S + ln.i] = select(m + log(l), neg_inf(), l == 0.0);
  }
}

@compute @workgroup_size(WG)
fn backward_q(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let ln = lane_of(lid, wid);
  let at = row_at(ln.b, ln.i, ln.hoff);
  var qr: array<vec4<f32>, 32>;
  var dor: array<vec4<f32>, 32>;
  var g: array<vec4<f32>, 32>;
  for (var x = 0u; x < p.D4; x++) { qr[x] = vec4<f32>(q[at + x]) * p.scale; dor[x] = vec4<f32>(dout[at + x]); }
  let st = stats[ln.bh * p.S + min(ln.i, p.S - 1u)];
  for (var j = 0u; j < p.S; j++) {
    let kat = row_at(ln.b, j, ln.hoff);
    var s = 0.0;
    var dp = 0.0;
    for (var x = 0u; x < p.D4; x++) { s += dot(qr[x], vec4<f32>(k[kat + x])); dp += dot(dor[x], vec4<f32>(v[kat + x])); }
    let ds = p_and_ds(ln.bh, ln.i, j, s + mask_at(ln.b, j), dp, st).y;
    for (var x = 0u; x < p.D4; x++) { g[x] += ds * vec4<f32>(k[kat + x]); }
  }
  if (ln.i < p.S) {
    for (var x = 0u; x < p.D4; x++) { dq[at + x] = vec4<act>(g[x] * p.scale); }
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
  for (var x = 0u; x < p.D4; x++) { kr[x] = vec4<f32>(k[at + x]) * p.scale; vr[x] = vec4<f32>(v[at + x]); }
  let bias = mask_at(ln.b, min(ln.i, p.S - 1u));
  for (var i = 0u; i < p.S; i++) {
    let qat = row_at(ln.b, i, ln.hoff);
    var s = 0.0;
    var dp = 0.0;
    for (var x = 0u; x < p.D4; x++) { s += dot(kr[x], vec4<f32>(q[qat + x])); dp += dot(vr[x], vec4<f32>(dout[qat + x])); }
    let w = p_and_ds(ln.bh, i, ln.i, s + bias, dp, stats[ln.bh * p.S + i]);
    for (var x = 0u; x < p.D4; x++) { gv[x] += w.x * vec4<f32>(dout[qat + x]); gk[x] += w.y * vec4<f32>(q[qat + x]); }
  }
  if (ln.i < p.S) {
    for (var x = 0u; x < p.D4; x++) { dk[at + x] = vec4<act>(gk[x] * p.scale); dv[at + x] = vec4<act>(gv[x]); }
  }
}
