// Matmul for hardware GPUs (and adapters without subgroups): the classic shared-memory tiling.
// A workgroup of WGX x WGY invocations computes a (4 WGY) x (4 WGX) tile of C; each invocation
// keeps a 4 x 4 block in four vec4 registers. Every BK step the workgroup stages a BM x BK slice of
// A and a BK x BN slice of B in workgroup memory, both k-major, so the inner loop reads one vec4 of
// A and one of B per k. Transposed operands are staged with vec4 reads along their contiguous dim
// (no transposed copy); elements past M, N or K are staged as 0.
//!include matmul_operands.wgsl

override WGX: u32 = 16;
override WGY: u32 = 16;
override BK: u32 = 16;      // a multiple of 4; WGX * WGY * 4 >= BK * 4 * max(WGX, WGY)

var<workgroup> As: array<vec4<f32>, BK * WGY>;   // [k][m / 4]: BM = 4 WGY rows
var<workgroup> Bs: array<vec4<f32>, BK * WGX>;   // [k][n / 4]: BN = 4 WGX columns

// v holds elements i .. i + 3 of a dim of length `len`: zero the ones past it.
fn masked(v: vec4<f32>, i: u32, len: u32) -> vec4<f32> {
  return select(vec4(0.0), v, vec4(i) + vec4(0u, 1u, 2u, 3u) < vec4(len));
}

fn stage(t: u32, ao: u32, bo: u32, m0: u32, n0: u32, k0: u32) {
  let BM = 4u * WGY;
  let BN = 4u * WGX;
  let threads = WGX * WGY;
  // A slice: BM x BK values as BM * BK / 4 vec4.
  for (var e = t; e < BM * BK / 4u; e += threads) {
    if (a_t()) {
      // vec4 along m: A^T[k0 + kk][m0 + 4 mq ..]
      let kk = e / (BM / 4u);
      let mq = e % (BM / 4u);
      let k = k0 + kk;
      let m = m0 + 4u * mq;
      var v = vec4(0.0);
      if (k < p.K && m < p.M) { v = masked(load4(0u, ao + k * p.M + m, a_aligned()), m, p.M); }
      As[kk * WGY + mq] = v;
    } else {
      // vec4 along k: A[m0 + mm][k0 + 4 kq ..]
      let mm = e / (BK / 4u);
      let kq = e % (BK / 4u);
      let m = m0 + mm;
      let k = k0 + 4u * kq;
      var v = vec4(0.0);
      if (m < p.M && k < p.K) { v = masked(load4(0u, ao + m * p.K + k, a_aligned()), k, p.K); }
      for (var c = 0u; c < 4u; c++) {
        As[(4u * kq + c) * WGY + mm / 4u][mm % 4u] = v[c];
      }
    }
  }
  // B slice: BK x BN values.
  for (var e = t; e < BK * BN / 4u; e += threads) {
    if (b_t()) {
      // vec4 along k: B^T[n0 + nn][k0 + 4 kq ..]
      let nn = e / (BK / 4u);
      let kq = e % (BK / 4u);
      let n = n0 + nn;
      let k = k0 + 4u * kq;
      var v = vec4(0.0);
      if (n < p.N && k < p.K) { v = masked(load4(1u, bo + n * p.K + k, b_aligned()), k, p.K); }
      for (var c = 0u; c < 4u; c++) {
        Bs[(4u * kq + c) * WGX + nn / 4u][nn % 4u] = v[c];
      }
    } else {
      // vec4 along n: B[k0 + kk][n0 + 4 nq ..]
      let kk = e / (BN / 4u);
      let nq = e % (BN / 4u);
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
