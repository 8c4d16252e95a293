// Shared by the matmul kernels (matmul_sg, matmul_tiled, matmul_gemv, matmul_reduce): the launch
// parameters, batch offsets, and the fused epilogue
//   pre = acc + bias            (stored with EPI_PRE, for the GELU backward)
//   out = act(pre) + residual
// A launch computes C (M, N) = A (M, K) @ B (K, N) for every output batch. With SWAP the kernel
// computes C^T = B^T A^T instead (the launcher passes the operands exchanged), so (m, n) in the
// kernel's own coordinates is element (n, m) of the output.
//!include common.wgsl

struct MatmulParams {
  M: u32, N: u32, K: u32,
  batches: u32,            // product of the output batch dims
  bdims: vec4<u32>,        // output batch dims, outermost first, padded with 1
  a_bstride: vec4<u32>,    // element stride of each batch dim in a (0 where a broadcasts)
  b_bstride: vec4<u32>,
  k_split: u32,            // K range per split (a multiple of 4); K when not split
  splits: u32,             // number of K splits (1 when not split)
  operand_layout: u32,     // with DYNAMIC: 1 A_T, 2 B_T, 4 A_ALIGNED, 8 B_ALIGNED (see matmul_operands.wgsl)
  epilogue: u32,           // 1 bias, 2 residual, 4 save pre, 8 write split-K partials
}
@group(0) @binding(0) var<uniform> p: MatmulParams;
// out, pre and residual hold activations (`act`: f32, or f16 in the f16 variant); split-K partials
// are f32 (the launcher runs that pass with the f32 variant and the reduce with the output's).
@group(0) @binding(1) var<storage, read_write> out: array<act>;    // (batches, M, N), or (splits, batches, M, N) partials
@group(0) @binding(2) var<storage, read_write> pre: array<act>;    // like out when saved (EPI_PRE), else a dummy
@group(0) @binding(3) var<storage, read> bias: array<f32>;         // (N) with EPI_BIAS, else a dummy
@group(0) @binding(4) var<storage, read> residual: array<act>;     // like out with EPI_RES, else a dummy

// The activation is compiled in; the other epilogue steps are flags in p.epilogue (they run once per
// output element, so a uniform branch costs nothing, and one pipeline serves every combination).
override ACT: u32 = 0;           // 0 none, 1 GELU (erf), 2 GELU (tanh approximation)
override SWAP: bool = false;     // the kernel computes C^T (see above)

const EPI_BIAS = 1u;
const EPI_RES = 2u;
const EPI_PRE = 4u;
const EPI_SPLIT = 8u;            // write raw partial sums (no epilogue) for the split-K reduce

struct BatchOffsets { a: u32, b: u32 }

// Element offsets of batch `z` in a and b, from the broadcast batch dims (innermost dim last).
fn batch_offsets(z: u32) -> BatchOffsets {
  let i3 = z % p.bdims.w;
  let z2 = z / p.bdims.w;
  let i2 = z2 % p.bdims.z;
  let z1 = z2 / p.bdims.z;
  let i1 = z1 % p.bdims.y;
  let i0 = z1 / p.bdims.y;
  let i = vec4(i0, i1, i2, i3);
  return BatchOffsets(dot(i, p.a_bstride), dot(i, p.b_bstride));
}

// erfc(z) for z >= 0 with relative error ~1.2e-7 (Chebyshev fit, Numerical Recipes' erfcc); in
// f32 the result is within ~3.5e-7 absolute near 0 and ~1e-6 relative where exp(-z^2) is tiny.
fn erfc_pos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  var q = 0.17087277;
  q = q * t - 0.82215223;
  q = q * t + 1.48851587;
  q = q * t - 1.13520398;
  q = q * t + 0.27886807;
  q = q * t - 0.18628806;
  q = q * t + 0.09678418;
  q = q * t + 0.37409196;
  q = q * t + 1.00002368;
  q = q * t - 1.26551223;
  return t * exp(q - z * z);
}

// erf(x) for |x| < 0.5 by its Taylor series (7 terms): absolute error < 1e-7.
fn erf_small(x: f32) -> f32 {
  let x2 = x * x;
  var s = 0.00012055332981789664;
  s = s * x2 - 0.0008548327023450852;
  s = s * x2 + 0.005223977625442188;
  s = s * x2 - 0.026866170645131252;
  s = s * x2 + 0.11283791670955126;
  s = s * x2 - 0.3761263890318375;
  s = s * x2 + 1.1283791670955126;
  return x * s;
}

// erf(x), absolute error <= ~1.5e-7 (WGSL has no erf).
fn erf_f32(x: f32) -> f32 {
  let z = abs(x);
  if (z < 0.5) { return erf_small(x); }
  return sign(x) * (1.0 - erfc_pos(z));
}

// GELU(x) = x/2 (1 + erf(x / sqrt 2)); for x < 0 written with erfc so the tail keeps its relative
// accuracy instead of cancelling 1 - 0.99999.
fn gelu_erf(x: f32) -> f32 {
  let z = abs(x) * 0.70710678118654752;
  if (z < 0.5) { return 0.5 * x * (1.0 + erf_small(x * 0.70710678118654752)); }
  if (x < 0.0) { return 0.5 * x * erfc_pos(z); }
  return x * (1.0 - 0.5 * erfc_pos(z));
}

// tanh that saturates to +-1 for large |u| instead of overflowing (exp(2|u|) -> inf gives 1).
fn tanh_stable(u: f32) -> f32 {
  let e = exp(2.0 * abs(u));
  return sign(u) * (1.0 - 2.0 / (e + 1.0));
}

// GELU, tanh approximation: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
fn gelu_tanh(x: f32) -> f32 {
  let u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return 0.5 * x * (1.0 + tanh_stable(u));
}

// Writes one output element. (m, n) are in the kernel's coordinates; `batch` and `split` pick the slab.
fn store_result(batch: u32, split: u32, m: u32, n: u32, acc: f32) {
  var row = m;
  var col = n;
  var rows = p.M;
  var cols = p.N;
  if (SWAP) {
    row = n;
    col = m;
    rows = p.N;
    cols = p.M;
  }
  let slab = rows * cols;
  let epi = p.epilogue;
  if ((epi & EPI_SPLIT) != 0u) {
    out[(split * p.batches + batch) * slab + row * cols + col] = act(acc);
    return;
  }
  let o = batch * slab + row * cols + col;
  var v = acc;
  if ((epi & EPI_BIAS) != 0u) { v += bias[col]; }
  if ((epi & EPI_PRE) != 0u) { pre[o] = act(v); }
  if (ACT == 1u) { v = gelu_erf(v); } else if (ACT == 2u) { v = gelu_tanh(v); }
  if ((epi & EPI_RES) != 0u) { v += f32(residual[o]); }
  out[o] = act(v);
}
