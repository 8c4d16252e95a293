// GELU forward (y = gelu(x)) and backward (dx = dy * gelu'(x)), exact or tanh-approximated
// (APPROX). Each invocation handles vec4s in a grid-stride loop. Buffers are bound whole (pool
// buffers are whole multiples of 16 bytes), so the last partial vec4 needs no scalar tail: its
// padding lanes compute garbage that lands in padding.
//!include gelu_math.wgsl

struct Params { n4: u32, stride: u32 }   // vec4s to process; invocations in the launch
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<act>>;         // (n) as vec4s, the last one padded
@group(0) @binding(2) var<storage, read_write> y: array<vec4<act>>;   // like x

override APPROX: bool = false;   // false: exact (erf); true: tanh approximation
override WG: u32 = 64;

fn f(v: vec4<f32>) -> vec4<f32> {
  if (APPROX) { return gelu_tanh4(v); }
  return gelu_erf4(v);
}

fn df1(v: f32) -> f32 {
  if (APPROX) { return gelu_tanh_grad(v); }
  return gelu_erf_grad(v);
}

fn df(v: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(df1(v.x), df1(v.y), df1(v.z), df1(v.w));
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < p.n4; i += p.stride) {
    y[i] = vec4<act>(f(vec4<f32>(x[i])));
  }
}

@group(0) @binding(3) var<storage, read> dy: array<vec4<act>>;        // like x
@group(0) @binding(4) var<storage, read_write> dx: array<vec4<act>>;  // like x

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < p.n4; i += p.stride) {
    dx[i] = vec4<act>(vec4<f32>(dy[i]) * df(vec4<f32>(x[i])));
  }
}
