// Shared by the matmul kernels (matmul_sg, matmul_tiled, matmul_gemv, matmul_reduce): the launch
// parameters, batch offsets, and the fused epilogue
//   pre = acc + bias            (stored with EPI_PRE, for the GELU backward)
//   out = act(pre) + residual
// A launch computes C (M, N) = A (M, K) @ B (K, N) for every output batch. With SWAP the kernel
// computes C^T = B^T A^T instead (the launcher passes the operands exchanged), so (m, n) in the
// kernel's own coordinates is element (n, m) of the output.
//!include common.wgsl
//!include gelu_math.wgsl

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
override ACT: u32 = 0;           // 0 none, 1 GELU (erf), 2 GELU (tanh approximation): gelu_math.wgsl's
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
