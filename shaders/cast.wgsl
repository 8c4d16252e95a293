// Converts between dtypes, reading and writing raw 32-bit words so one shader serves every pair.
// f16 needs no shader-f16 feature here: two halves share a word (pack2x16float/unpack2x16float).
// One invocation per output word. f32 -> int truncates toward zero and saturates; NaN -> 0.
//!include common.wgsl
struct Params { n: u32 }   // number of output elements
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;         // (n) elements of FROM (f16: two per word)
@group(0) @binding(2) var<storage, read_write> y: array<u32>;   // (n) elements of TO

override FROM: u32 = 0;   // 0 f32, 1 i32, 2 u32, 3 f16
override TO: u32 = 0;
override WG: u32 = 256;

fn load(e: u32) -> f32 {
  switch FROM {
    case 1u: { return f32(bitcast<i32>(x[e])); }
    case 2u: { return f32(x[e]); }
    case 3u: { return unpack2x16float(x[e / 2u])[e % 2u]; }
    default: { return bitcast<f32>(x[e]); }
  }
}

fn to_i32(v: f32) -> i32 {
  if (is_nan(v)) { return 0; }
  return i32(clamp(v, -2147483648.0, 2147483520.0));
}

fn to_u32(v: f32) -> u32 {
  if (is_nan(v)) { return 0u; }
  return u32(clamp(v, 0.0, 4294967040.0));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = gid.x + gid.y * nwg.x * WG;
  if (TO == 3u) {
    let e = 2u * w;
    if (e >= p.n) { return; }
    var hi = 0.0;
    if (e + 1u < p.n) { hi = load(e + 1u); }
    y[w] = pack2x16float(vec2<f32>(load(e), hi));
    return;
  }
  if (w >= p.n) { return; }
  // Integer -> integer keeps every bit; only float sources go through f32.
  if (FROM != 0u && FROM != 3u && TO != 0u) { y[w] = x[w]; return; }
  if (FROM == TO) { y[w] = x[w]; return; }
  let v = load(w);
  switch TO {
    case 1u: { y[w] = bitcast<u32>(to_i32(v)); }
    case 2u: { y[w] = to_u32(v); }
    default: { y[w] = bitcast<u32>(v); }
  }
}
