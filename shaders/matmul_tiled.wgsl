// Matmul for hardware GPUs (and adapters without subgroups): the classic shared-memory tiling.
// A workgroup of WGX x WGY invocations computes a (4 WGY) x (4 WGX) tile of C; each invocation
// keeps a 4 x 4 block in four vec4 registers. Every BK step the workgroup stages a BM x BK slice of
// A and a BK x BN slice of B in workgroup memory, both k-major, so the inner loop reads one vec4 of
// A and one of B per k. Transposed operands are staged with vec4 reads along their contiguous dim
// (no transposed copy); elements past M, N or K are staged as 0.
//!include matmul_operands.wgsl

override WGX: u32 = 16;
override WGY: u32 = 16;
override BK: u32 = 16;      // a multiple of 4, with BK * max(WGX, WGY) <= STAGE

// Workgroup arrays have a fixed size (override-sized ones trip up tools that execute WGSL, like
// wgsl_reflect's race detector); a launch uses the first BK * WG of them.
const STAGE = 256u;
var<workgroup> As: array<vec4<f32>, STAGE>;   // [k][m / 4]: BM = 4 WGY rows, k-major
var<workgroup> Bs: array<vec4<f32>, STAGE>;   // [k][n / 4]: BN = 4 WGX columns, k-major

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

fn stage(t: u32, ao: u32, bo: u32, m0: u32, n0: u32, k0: u32) {
  let threads = WGX * WGY;
  // A slice: BM x BK as (BK x BM / 4) vec4, k-major.
  if (a_t()) {
    // Contiguous along m: one vec4 A^T[k0 + kk][m0 + 4 mq ..] per element of the tile.
    for (var e = t; e < BK * WGY; e += threads) {
      let kk = e / WGY;
      let mq = e % WGY;
      let k = k0 + kk;
      let m = m0 + 4u * mq;
      var v = vec4(0.0);
      if (k < p.K && m < p.M) { v = masked(load4(0u, ao + k * p.M + m, a_aligned()), m, p.M); }
      As[kk * WGY + mq] = v;
    }
  } else {
    // Contiguous along k: 4 x 4 blocks (4 rows, 4 k), transposed in registers.
    for (var e = t; e < (BK / 4u) * WGY; e += threads) {
      let kq = e / WGY;
      let mq = e % WGY;
      let blk = block_along_k(0u, ao, m0 + 4u * mq, p.M, k0 + 4u * kq, a_aligned());
      for (var c = 0u; c < 4u; c++) { As[(4u * kq + c) * WGY + mq] = blk[c]; }
    }
  }
  // B slice: BK x BN as (BK x BN / 4) vec4, k-major.
  if (b_t()) {
    for (var e = t; e < (BK / 4u) * WGX; e += threads) {
      let kq = e / WGX;
      let nq = e % WGX;
      let blk = block_along_k(1u, bo, n0 + 4u * nq, p.N, k0 + 4u * kq, b_aligned());
      for (var c = 0u; c < 4u; c++) { Bs[(4u * kq + c) * WGX + nq] = blk[c]; }
    }
  } else {
    for (var e = t; e < BK * WGX; e += threads) {
      let kk = e / WGX;
      let nq = e % WGX;
      let k = k0 + kk;
      let n = n0 + 4u * nq;
      var v = vec4(0.0);
      if (k < p.K && n < p.N) { v = masked(load4(1u, bo + k * p.N + n, b_aligned()), n, p.N); }
      Bs[kk * WGX + nq] = v;
    }
  }
}

@compute @workgroup_size(WGX, WGY)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
  let batch = wid.z / p.splits;
  let split = wid.z % p.splits;
  let off = batch_offsets(batch);
  let m0 = wid.y * 4u * WGY;
  let n0 = wid.x * 4u * WGX;
  let kbegin = split * p.k_split;
  let kend = min(p.K, kbegin + p.k_split);
  var acc: array<vec4<f32>, 4>;
  for (var k0 = kbegin; k0 < kend; k0 += BK) {
    stage(t, off.a, off.b, m0, n0, k0);
    workgroupBarrier();
    // A split's K range is a multiple of BK, so the slice never reaches into the next split's range;
    // past K the staged values are 0.
    for (var kk = 0u; kk < BK; kk++) {
      let av = As[kk * WGY + lid.y];
      let bv = Bs[kk * WGX + lid.x];
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + 4u * lid.y + i;
    for (var c = 0u; c < 4u; c++) {
      let n = n0 + 4u * lid.x + c;
      if (m < p.M && n < p.N) { store_result(batch, split, m, n, acc[i][c]); }
    }
  }
}
