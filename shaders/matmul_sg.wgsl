// Matmul for CPU-backed adapters (lavapipe/llvmpipe, SwiftShader) that have subgroups.
//
// Such a driver runs SG invocations as the lanes of one SIMD vector. Its cost model (measured on
// lavapipe 25.0, see bench/README.md): a storage-buffer load whose address differs per lane is a
// loop over the lanes with a bounds check per component (~14 instructions per loaded float), while
// arithmetic on a vec4 is 4 vector instructions and subgroupShuffle with a constant lane is one
// `vpermd`. So this kernel minimises loaded floats per FMA:
//   * the workgroup is one subgroup; lane j owns R rows of A (the "per-lane" operand) and keeps
//     R x 4CV outputs in vec4 registers;
//   * the B tile (4 k x 4CV columns) is loaded once per subgroup, spread over the lanes as vec4
//     pieces, and every lane gets every value with subgroupShuffle (no per-lane duplicate loads);
//   * A is read as vec4 along k (row-major A) or along m (transposed A), B as vec4 along n
//     (row-major B) or along k (transposed B): every layout takes the vec4 path, no transposed copy.
// Rows/columns past M/N compute garbage that is never stored; the K tail (K % 4 != 0, or a
// split's end) is zero-filled on both operands. Unaligned rows (A_ALIGNED/B_ALIGNED false) read two
// aligned vec4 and select the components.
enable subgroups;
//!include matmul_operands.wgsl

override SG: u32 = 8;          // subgroup size = workgroup size
override R: u32 = 4;           // rows per lane (a multiple of 4 when A_T)
override CV: u32 = 4;          // vec4 columns per subgroup (R * CV <= 16)

const MAX_ACC = 16u;
const MAX_PIECES = 8u;   // ceil(4 CV / SG) slots per lane

// Row of lane j's r-th register row inside the tile starting at m0.
fn lane_row(m0: u32, j: u32, r: u32) -> u32 {
  if (a_t()) { return m0 + 4u * (j + SG * (r / 4u)) + r % 4u; }
  return m0 + j + SG * r;
}

// One step of 4 k values starting at k; values at k + i >= kend (the K tail) are zero.
fn mma_step(acc: ptr<function, array<vec4<f32>, MAX_ACC>>, ao: u32, bo: u32, m0: u32, n0: u32, j: u32,
            k: u32, kend: u32) {
  // Per-lane A values: av[r][i] = A[row r][k + i].
  var av: array<vec4<f32>, MAX_ACC>;
  if (a_t()) {
    for (var i = 0u; i < 4u; i++) {
      let kk = min(k + i, p.K - 1u);
      for (var t = 0u; t < R / 4u; t++) {
        let v = load4(0u, ao + kk * p.M + m0 + 4u * (j + SG * t), a_aligned());
        for (var c = 0u; c < 4u; c++) {
          av[4u * t + c][i] = select(v[c], 0.0, k + i >= kend);
        }
      }
    }
  } else {
    for (var r = 0u; r < R; r++) {
      let row = min(lane_row(m0, j, r), p.M - 1u);
      let v = load4(0u, ao + row * p.K + k, a_aligned());
      av[r] = select(v, vec4(0.0), vec4(k) + vec4(0u, 1u, 2u, 3u) >= vec4(kend));
    }
  }
  // B pieces: 4 * CV vec4 spread over the lanes, piece q on lane q % SG in slot q / SG.
  var pieces: array<vec4<f32>, MAX_PIECES>;
  for (var s = 0u; s < (4u * CV + SG - 1u) / SG; s++) {
    let q = min(j + SG * s, 4u * CV - 1u);
    var v: vec4<f32>;
    if (b_t()) {
      // piece q: B^T[n0 + q][k .. k + 3]
      let col = min(n0 + q, p.N - 1u);
      v = load4(1u, bo + col * p.K + k, b_aligned());
      v = select(v, vec4(0.0), vec4(k) + vec4(0u, 1u, 2u, 3u) >= vec4(kend));
    } else {
      // piece q: B[k + q / CV][n0 + 4 (q % CV) .. + 3]
      let kk = k + q / CV;
      let col = min(n0 + 4u * (q % CV), p.N - 1u);
      v = load4(1u, bo + min(kk, p.K - 1u) * p.N + col, b_aligned());
      v = select(v, vec4(0.0), kk >= kend);
    }
    pieces[s] = v;
  }
  for (var i = 0u; i < 4u; i++) {
    for (var q = 0u; q < CV; q++) {
      var bv: vec4<f32>;
      if (b_t()) {
        for (var c = 0u; c < 4u; c++) {
          let piece = 4u * q + c;
          bv[c] = subgroupShuffle(pieces[piece / SG][i], piece % SG);
        }
      } else {
        let piece = i * CV + q;
        bv = subgroupShuffle(pieces[piece / SG], piece % SG);
      }
      for (var r = 0u; r < R; r++) {
        (*acc)[r * CV + q] += av[r][i] * bv;
      }
    }
  }
}

@compute @workgroup_size(SG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) j: u32) {
  let batch = wid.z / p.splits;
  let split = wid.z % p.splits;
  let off = batch_offsets(batch);
  let m0 = wid.y * SG * R;
  let n0 = wid.x * 4u * CV;
  let kbegin = split * p.k_split;
  let kend = min(p.K, kbegin + p.k_split);
  var acc: array<vec4<f32>, MAX_ACC>;
  // One copy of the step serves the K tail too (its masking costs ~2% and halves code size and
  // compile time; the loop body must fit the core's op cache, see bench/README.md).
  for (var k = kbegin; k < kend; k += 4u) {
    mma_step(&acc, off.a, off.b, m0, n0, j, k, kend);
  }
  for (var r = 0u; r < R; r++) {
    let m = lane_row(m0, j, r);
    if (m >= p.M) { continue; }
    for (var q = 0u; q < CV; q++) {
      for (var c = 0u; c < 4u; c++) {
        let n = n0 + 4u * q + c;
        if (n < p.N) { store_result(batch, split, m, n, acc[r * CV + q][c]); }
      }
    }
  }
}
