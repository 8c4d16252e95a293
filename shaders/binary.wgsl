// y = a (op) b with NumPy broadcasting (activations f32 or f16, computed in f32). The launcher
// first merges the axes that walk both inputs alike (collapseAxes: [16, 128, 128] + [128] is
// [2048, 128] + [0, 1]-strided b), so RANK, a constant, is the fewest axes the indexing needs; its
// loops unroll with constant uniform indices and the outermost coordinate needs no modulo.
//   main4: vec4s in a grid-stride loop, when the innermost axis is a multiple of 4 long (or is the
//          only axis): each operand is a vec4 along it, or one value repeated (stride 0).
//          Buffers are bound whole (pool buffers are multiples of 16 bytes), so with one axis the
//          last partial vec4's padding lanes compute garbage into padding, as in gelu.wgsl.
//   main:  one element per invocation, for any broadcast.
//   accumulate: acc += b in place, same shape, vec4s (gradient accumulation without a third buffer).
//!include common.wgsl

struct Params {
  n: u32,          // main: elements; main4 / accumulate: vec4s
  stride: u32,     // main4 / accumulate: invocations in the launch
  a_splat: u32,    // main4: 1 if a's innermost stride is 0 (one value per vec4)
  b_splat: u32,
  shape: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<act>;         // broadcast to shape by a_strides
@group(0) @binding(2) var<storage, read> b: array<act>;         // broadcast to shape by b_strides
@group(0) @binding(3) var<storage, read_write> y: array<act>;   // (n) = shape

override OP: u32 = 0;
override RANK: u32 = 1;   // axes after collapseAxes (1..8)
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

fn apply4(u: vec4<f32>, v: vec4<f32>) -> vec4<f32> {
  switch OP {
    case ADD: { return u + v; }
    case SUB: { return u - v; }
    case MUL: { return u * v; }
    case DIV: { return u / v; }
    default: { return vec4(apply(u.x, v.x), apply(u.y, v.y), apply(u.z, v.z), apply(u.w, v.w)); }
  }
}

fn dim(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

struct Offsets { a: u32, b: u32 }

// Where output element i reads a and b.
fn offsets(i: u32) -> Offsets {
  var rest = i;
  var o = Offsets(0u, 0u);
  for (var d = RANK - 1u; d > 0u; d--) {
    let size = dim(p.shape, d);
    let coord = rest % size;
    rest = rest / size;
    o.a += coord * dim(p.a_strides, d);
    o.b += coord * dim(p.b_strides, d);
  }
  o.a += rest * dim(p.a_strides, 0u);
  o.b += rest * dim(p.b_strides, 0u);
  return o;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let o = offsets(i);
  y[i] = act(apply(f32(a[o.a]), f32(b[o.b])));
}

@group(0) @binding(4) var<storage, read> a4: array<vec4<act>>;        // a as vec4s
@group(0) @binding(5) var<storage, read> b4: array<vec4<act>>;
@group(0) @binding(6) var<storage, read_write> y4: array<vec4<act>>;

@compute @workgroup_size(WG)
fn main4(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < p.n; i += p.stride) {
    // 4i is a multiple of 4 along the innermost axis, so a non-splat operand's offset is too. A
    // splat operand's value is picked out of the vec4 holding it: one vec4 load either way, with
    // no branch (lavapipe runs both sides of a branch it cannot prove uniform, loads included).
    let o = offsets(4u * i);
    let va = vec4<f32>(a4[o.a / 4u]);
    let vb = vec4<f32>(b4[o.b / 4u]);
    let u = select(va, vec4(va[o.a % 4u]), p.a_splat != 0u);
    let v = select(vb, vec4(vb[o.b % 4u]), p.b_splat != 0u);
    y4[i] = vec4<act>(apply4(u, v));
  }
}

@group(0) @binding(7) var<storage, read_write> acc4: array<vec4<act>>;   // (n) as vec4s

@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < p.n; i += p.stride) {
    acc4[i] = vec4<act>(vec4<f32>(acc4[i]) + vec4<f32>(b4[i]));
  }
}
