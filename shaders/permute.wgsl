// y = x with its axes permuted, on 32-bit words. Each output index is decomposed over the
// output shape and gathered through the input strides taken in permuted order. The launcher merges
// the axes that stay together first (collapseAxes); RANK is what is left, a constant, so the loop
// unrolls with constant uniform indices and the outermost coordinate needs no modulo.
struct Params {
  n: u32,
  shape: array<vec4<u32>, 2>,     // output shape
  strides: array<vec4<u32>, 2>,   // input stride of each output axis
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;         // the input, 32-bit words
@group(0) @binding(2) var<storage, read_write> y: array<u32>;   // (n) = shape

override WG: u32 = 256;
override RANK: u32 = 1;

fn dim(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  var rest = i;
  var src = 0u;
  for (var d = RANK - 1u; d > 0u; d--) {
    let size = dim(p.shape, d);
    src += (rest % size) * dim(p.strides, d);
    rest = rest / size;
  }
  y[i] = x[src + rest * dim(p.strides, 0u)];
}
