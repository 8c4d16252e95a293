// Vector-matrix product for small M (M <= 4, e.g. a single row) on adapters without the subgroup
// kernel: each invocation owns 4 adjacent output columns for every row and walks K in vec4 steps,
// so B (the big operand) is read exactly once, with vec4 loads along its contiguous dim.
//!include matmul_operands.wgsl

override WG: u32 = 64;

fn gemv_step(acc: ptr<function, array<vec4<f32>, 4>>, ao: u32, bo: u32, n: u32, k: u32, kend: u32) {
  // bk[i] = B[k + i][n .. n + 3], zero past N or past kend.
  var bk: array<vec4<f32>, 4>;
  if (b_t()) {
    for (var c = 0u; c < 4u; c++) {
      let col = min(n + c, p.N - 1u);
      var v = load4(1u, bo + col * p.K + k, b_aligned());
      v = select(vec4(0.0), v, (vec4(k) + vec4(0u, 1u, 2u, 3u) < vec4(kend)) & vec4(n + c < p.N));
      for (var i = 0u; i < 4u; i++) { bk[i][c] = v[i]; }
    }
  } else {
    for (var i = 0u; i < 4u; i++) {
      let kk = min(k + i, p.K - 1u);
      var v = load4(1u, bo + kk * p.N + n, b_aligned());
      v = select(vec4(0.0), v, (vec4(n) + vec4(0u, 1u, 2u, 3u) < vec4(p.N)) & vec4(k + i < kend));
      bk[i] = v;
    }
  }
  for (var m = 0u; m < 4u; m++) {
    if (m >= p.M) { break; }
    var av: vec4<f32>;
    if (a_t()) {
      for (var i = 0u; i < 4u; i++) {
        let e = ao + min(k + i, p.K - 1u) * p.M + m;
        av[i] = select(0.0, quad(0u, e / 4u)[e % 4u], k + i < kend);
      }
    } else {
      av = select(vec4(0.0), load4(0u, ao + m * p.K + k, a_aligned()), vec4(k) + vec4(0u, 1u, 2u, 3u) < vec4(kend));
    }
    (*acc)[m] += av.x * bk[0] + av.y * bk[1] + av.z * bk[2] + av.w * bk[3];
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let batch = wid.z / p.splits;
  let split = wid.z % p.splits;
  let off = batch_offsets(batch);
  let n = (wid.x * WG + lid) * 4u;
  if (n >= p.N) { return; }
  let kbegin = split * p.k_split;
  let kend = min(p.K, kbegin + p.k_split);
  var acc: array<vec4<f32>, 4>;
  for (var k = kbegin; k < kend; k += 4u) {
    gemv_step(&acc, off.a, off.b, n, k, kend);
  }
  for (var m = 0u; m < 4u; m++) {
    if (m >= p.M) { break; }
    for (var c = 0u; c < 4u; c++) {
      if (n + c < p.N) { store_result(batch, split, m, n + c, acc[m][c]); }
    }
  }
}
