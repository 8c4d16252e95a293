// One AdamW step over a parameter, in place, in one pass (PyTorch's torch.optim.AdamW):
//   g = grad * grad_scale                (grad_scale: the clipping multiplier, read on the GPU)
//   m = beta1 m + (1 - beta1) g
//   v = beta2 v + (1 - beta2) g^2
//   param = param (1 - lr wd) - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// The bias corrections are computed on the host in float64 and arrive as step_size and
// inv_sqrt_bc2. vec4s in a grid-stride loop over whole buffers (as in gelu.wgsl): the padding lanes
// of the last vec4 update padding only.

struct Params {
  n4: u32,
  stride: u32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  decay: f32,          // 1 - lr * weight_decay
  step_size: f32,      // lr / (1 - beta1^t)
  inv_sqrt_bc2: f32,   // 1 / sqrt(1 - beta2^t)
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4<f32>>;
// [] the gradient multiplier; without HAS_SCALE the launcher binds `grad` here, unread.
@group(0) @binding(5) var<storage, read> grad_scale: array<f32>;

override HAS_SCALE: bool = false;
override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  var k = 1.0;
  if (HAS_SCALE) { k = grad_scale[0]; }
  for (var i = gid.x; i < p.n4; i += p.stride) {
    let g = grad[i] * k;
    let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
    let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i] * p.decay - p.step_size * mi / (sqrt(vi) * p.inv_sqrt_bc2 + p.eps);
  }
}
