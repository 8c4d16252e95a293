// y = f(x) elementwise (activations f32 or f16, computed in f32). OP selects f at pipeline creation (an override constant), so
// each op compiles to straight-line code. `alpha` and `beta` parameterise a few ops. vec4s in a
// grid-stride loop over whole buffers (as in gelu.wgsl): the last vec4's padding lanes land in padding.
//!include common.wgsl

struct Params { n4: u32, stride: u32, alpha: f32, beta: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<act>>;         // (n) as vec4s, the last one padded
@group(0) @binding(2) var<storage, read_write> y: array<vec4<act>>;   // like x

override OP: u32 = 0;
override WG: u32 = 256;

const AFFINE = 0u;  // alpha * x + beta
const NEG = 1u;
const EXP = 2u;
const LOG = 3u;
const SQRT = 4u;
const RSQRT = 5u;
const ABS = 6u;
const TANH = 7u;
const RELU = 8u;
const SIGMOID = 9u;
const SQUARE = 10u;
const RECIPROCAL = 11u;
const POW_SCALAR = 12u; // x ^ alpha
const CLAMP = 13u;      // clamp(x, alpha, beta)

fn stable_tanh(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  let t = (1.0 - e) / (1.0 + e);
  return select(-t, t, v >= 0.0);
}

fn apply(v: f32) -> f32 {
  switch OP {
    case AFFINE: { return p.alpha * v + p.beta; }
    case NEG: { return -v; }
    case EXP: { return exp(v); }
    case LOG: {
      if (v < 0.0) { return nan_f32(); }
      return log(v);
    }
    case SQRT: {
      if (v < 0.0) { return nan_f32(); }
      return sqrt(v);
    }
    case RSQRT: { return 1.0 / sqrt(v); }
    case ABS: { return abs(v); }
    case TANH: {
      if (is_nan(v)) { return v; }
      return stable_tanh(v);
    }
    case RELU: { return select(v, 0.0, v < 0.0); }
    case SIGMOID: {
      if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
      let e = exp(v);
      return e / (1.0 + e);
    }
    case SQUARE: { return v * v; }
    case RECIPROCAL: { return 1.0 / v; }
    case POW_SCALAR: { return pow(v, p.alpha); }
    case CLAMP: {
      if (is_nan(v)) { return v; }
      return clamp(v, p.alpha, p.beta);
    }
    default: { return v; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < p.n4; i += p.stride) {
    let v = vec4<f32>(x[i]);
    y[i] = vec4<act>(vec4(apply(v.x), apply(v.y), apply(v.z), apply(v.w)));
  }
}
