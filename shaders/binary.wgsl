// y = a (op) b with NumPy broadcasting (activations f32 or f16, computed in f32). Shapes travel as uniforms (rank <= 8, packed
// in vec4s); a broadcast dimension has stride 0. BROADCAST=false is the same-shape fast path.
//!include common.wgsl

struct Params {
  n: u32,
  rank: u32,
  shape: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<act>;         // broadcast to shape by a_strides
@group(0) @binding(2) var<storage, read> b: array<act>;         // broadcast to shape by b_strides
@group(0) @binding(3) var<storage, read_write> y: array<act>;   // (n) = shape

override OP: u32 = 0;
override BROADCAST: bool = true;
override WG: u32 = 256;

const ADD = 0u;
const SUB = 1u;
const MUL = 2u;
const DIV = 3u;
const MAX = 4u;
const MIN = 5u;
const POW = 6u;

fn apply(u: f32, v: f32) -> f32 {
  switch OP {
    case ADD: { return u + v; }
    case SUB: { return u - v; }
    case MUL: { return u * v; }
    case DIV: { return u / v; }
    case MAX: { return max_nan(u, v); }
    case MIN: { return min_nan(u, v); }
    case POW: { return pow(u, v); }
    default: { return u; }
  }
}

fn dim(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  if (!BROADCAST) {
    y[i] = act(apply(f32(a[i]), f32(b[i])));
    return;
  }
  var rest = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = dim(p.shape, u32(d));
    let coord = rest % size;
    rest = rest / size;
    ia += coord * dim(p.a_strides, u32(d));
    ib += coord * dim(p.b_strides, u32(d));
  }
  y[i] = act(apply(f32(a[ia]), f32(b[ib])));
}

// In place, same shape: acc += b (gradient accumulation without a third buffer).
@group(0) @binding(4) var<storage, read_write> acc: array<act>;   // (n)

@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  acc[i] = act(f32(acc[i]) + f32(b[i]));
}
