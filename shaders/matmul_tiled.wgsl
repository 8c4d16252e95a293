// Matmul with workgroup-memory tiles: the kernel for hardware GPUs (and, with small tiles, for
// adapters without subgroups). A workgroup of WGX x WGY invocations computes a BM x BN tile of C,
// BM = TM WGY and BN = TN WGX; each invocation keeps a TM x TN register block (TM rows of TN / 4
// vec4). Every BK step the workgroup stages a BM x BK slice of A and a BK x BN slice of B in
// workgroup memory, both k-major, so the inner loop reads TM / 4 + TN / 4 vec4 for TM TN FMAs.
// Double buffered: the slice for step s + 1 is staged into the other buffer while step s is
// computed, one barrier per step. Transposed operands are staged with vec4 reads along their
// contiguous dim (no transposed copy); elements past M, N or K are staged as 0. Tile sizes are
// overrides chosen by MATMUL_TILES (src/kernels/matmul.ts).
//!include matmul_operands.wgsl

override WGX: u32 = 16;
override WGY: u32 = 8;
override TM: u32 = 8;       // rows per invocation: 4 or 8
override TN: u32 = 4;       // columns per invocation: 4 or 8
override BK: u32 = 16;      // a multiple of 4, with 2 BK BM / 4 <= STAGE and 2 BK BN / 4 <= STAGE

override BM4: u32 = TM * WGY / 4u;  // vec4 per k row of the A slice (derived: never set by the launcher)
override BN4: u32 = TN * WGX / 4u;  // ... of the B slice

// Workgroup arrays have a fixed size (override-sized ones trip up tools that execute WGSL, like
// wgsl_reflect's race detector): two buffers of BK * BM4 (BK * BN4) vec4 each, 16 KiB in all,
// the WebGPU default limit.
const STAGE = 512u;
var<workgroup> As: array<vec4<f32>, STAGE>;   // [buffer][k][m / 4], k-major
var<workgroup> Bs: array<vec4<f32>, STAGE>;   // [buffer][k][n / 4], k-major

// v holds elements i .. i + 3 of a dim of length `len`: zero the ones past it.
fn masked(v: vec4<f32>, i: u32, len: u32) -> vec4<f32> {
  return select(vec4(0.0), v, vec4(i) + vec4(0u, 1u, 2u, 3u) < vec4(len));
}

// A 4 x 4 block of an operand whose contiguous dim runs along k: rows r0 .. r0 + 3 (of `rows`),
// elements k .. k + 3, zero outside. Returned transposed: result[c] = (row r0 + i, k + c) over i,
// i.e. one vec4 along the rows per k, ready for the k-major tile.
fn block_along_k(which: u32, base: u32, r0: u32, rows: u32, k: u32, aligned: bool) -> mat4x4<f32> {
  var v: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) {
    v[i] = vec4(0.0);
    if (r0 + i < rows && k < p.K) { v[i] = masked(load4(which, base + (r0 + i) * p.K + k, aligned), k, p.K); }
  }
  return transpose(mat4x4<f32>(v[0], v[1], v[2], v[3]));
}

fn stage(buf: u32, t: u32, ao: u32, bo: u32, m0: u32, n0: u32, k0: u32) {
  let threads = WGX * WGY;
  let sa = buf * BK * BM4;
  let sb = buf * BK * BN4;
  // A slice: BM x BK as (BK x BM / 4) vec4, k-major.
  if (a_t()) {
    // Contiguous along m: one vec4 A^T[k0 + kk][m0 + 4 mq ..] per element of the tile.
    for (var e = t; e < BK * BM4; e += threads) {
      let kk = e / BM4;
      let mq = e % BM4;
      let k = k0 + kk;
      let m = m0 + 4u * mq;
      var v = vec4(0.0);
      if (k < p.K && m < p.M) { v = masked(load4(0u, ao + k * p.M + m, a_aligned()), m, p.M); }
      As[sa + kk * BM4 + mq] = v;
    }
  } else {
    // Contiguous along k: 4 x 4 blocks (4 rows, 4 k), transposed in registers.
    for (var e = t; e < (BK / 4u) * BM4; e += threads) {
      let kq = e / BM4;
      let mq = e % BM4;
      let blk = block_along_k(0u, ao, m0 + 4u * mq, p.M, k0 + 4u * kq, a_aligned());
      for (var c = 0u; c < 4u; c++) { As[sa + (4u * kq + c) * BM4 + mq] = blk[c]; }
    }
  }
  // B slice: BK x BN as (BK x BN / 4) vec4, k-major.
  if (b_t()) {
    for (var e = t; e < (BK / 4u) * BN4; e += threads) {
      let kq = e / BN4;
      let nq = e % BN4;
      let blk = block_along_k(1u, bo, n0 + 4u * nq, p.N, k0 + 4u * kq, b_aligned());
      for (var c = 0u; c < 4u; c++) { Bs[sb + (4u * kq + c) * BN4 + nq] = blk[c]; }
    }
  } else {
    for (var e = t; e < BK * BN4; e += threads) {
      let kk = e / BN4;
      let nq = e % BN4;
      let k = k0 + kk;
      let n = n0 + 4u * nq;
      var v = vec4(0.0);
      if (k < p.K && n < p.N) { v = masked(load4(1u, bo + k * p.N + n, b_aligned()), n, p.N); }
      Bs[sb + kk * BN4 + nq] = v;
    }
  }
}

// One BK step: the register block += the staged slices of buffer `buf`.
fn compute(buf: u32, lid: vec3<u32>, acc: ptr<function, array<vec4<f32>, 16>>) {
  let sa = buf * BK * BM4 + lid.y * (TM / 4u);
  let sb = buf * BK * BN4 + lid.x * (TN / 4u);
  for (var kk = 0u; kk < BK; kk++) {
    var bv: array<vec4<f32>, 2>;
    for (var j = 0u; j < TN / 4u; j++) { bv[j] = Bs[sb + kk * BN4 + j]; }
    for (var i = 0u; i < TM / 4u; i++) {
      let av = As[sa + kk * BM4 + i];
      for (var j = 0u; j < TN / 4u; j++) {
        let r = 4u * i * (TN / 4u) + j;
        (*acc)[r] += av.x * bv[j];
        (*acc)[r + TN / 4u] += av.y * bv[j];
        (*acc)[r + 2u * (TN / 4u)] += av.z * bv[j];
        (*acc)[r + 3u * (TN / 4u)] += av.w * bv[j];
      }
    }
  }
}

@compute @workgroup_size(WGX, WGY)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let batch = wid.z / p.splits;
  let split = wid.z % p.splits;
  let off = batch_offsets(batch);
  let m0 = wid.y * TM * WGY;
  let n0 = wid.x * TN * WGX;
  let kbegin = split * p.k_split;
  let kend = min(p.K, kbegin + p.k_split);
  // A split's K range is a multiple of BK, so a slice never reaches into the next split's range;
  // past K the staged values are 0.
  let steps = (max(kend, kbegin) - kbegin + BK - 1u) / BK;
  var acc: array<vec4<f32>, 16>;   // row r of the block, vec4 j: [r * TN / 4 + j]
  if (steps > 0u) {
    stage(0u, t, off.a, off.b, m0, n0, kbegin);
  }
  workgroupBarrier();
  for (var s = 0u; s < steps; s++) {
    // Staging the next slice first lets its loads run while this one is computed; the barrier at
    // the end of the previous step freed that buffer.
    if (s + 1u < steps) { stage((s + 1u) % 2u, t, off.a, off.b, m0, n0, kbegin + (s + 1u) * BK); }
    compute(s % 2u, lid, &acc);
    workgroupBarrier();
  }
  for (var r = 0u; r < TM; r++) {
    let m = m0 + TM * lid.y + r;
    for (var j = 0u; j < TN / 4u; j++) {
      for (var c = 0u; c < 4u; c++) {
        let n = n0 + TN * lid.x + 4u * j + c;
        if (m < p.M && n < p.N) { store_result(batch, split, m, n, acc[r * (TN / 4u) + j][c]); }
      }
    }
  }
}
