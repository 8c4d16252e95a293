// Fused softmax attention, forward and backward (flash-attention 2 style). Included by
// attention.wgsl, which provides lane_id(), the lane exchanges lanes_chunk() / lanes_vec4() (subgroup
// broadcasts) and the entry points calling the bodies below. attention_portable.wgsl is the plain
// variant for adapters without subgroups; both take their parameters, bindings, mask and row
// addressing and backward_prep from attention_common.wgsl.
//
//   out = softmax(q k^T * scale + mask) v    per (batch b, head h), never storing (S, S) scores;
//   q, k, v, out: (B, S, H * D) as BERT's projections produce them, head h at columns [h D, h D + D).
//
// Design, from measurements on Mesa lavapipe (LLVM, 8-lane AVX2 SIMD: an invocation is a SIMD lane):
// - A storage-buffer load is one bounds-checked scalar load per lane (~25 cycles for the eight
//   lanes), an FMA two 8-wide instructions (mul + add), a subgroup broadcast from a constant lane
//   ~1 cycle. So every loaded value must feed many FMAs inside its lane: a lane owns R whole rows
//   (queries; keys in backward_kv) and keeps them and their accumulators in private memory; each
//   block of 8 keys (queries) is loaded one row per lane and handed to all 8 lanes by broadcasts.
//   Per block a lane does 8 R dot products of length D per matmul for D loads and 2 D broadcasts.
// - Private arrays stay in registers (or plain stack spills) only when every index is a constant
//   after inlining; a dynamic index becomes a per-lane gather/scatter. So the work over the
//   ceil(D / 16) chunks of a row and over the R rows is unrolled by hand (`if (DC > c)` / `R > r`
//   on override constants fold away), and a 16-dim chunk is a mat4x4<f32>.
// - Row loads, by contrast, run in a loop bounded by a uniform, kept rolled on purpose: unrolled,
//   each vec4 load expands into eight bounds-checked lane loads and compile time balloons.
//   Dropout's Philox calls likewise sit in one rolled loop that runs 0 times without dropout.
//   Lavapipe compiles a pipeline at its first dispatch, ~5-20 s of CPU here; Mesa caches it on disk.
// - Workgroups of WG lanes cover WG * R consecutive rows of one (b, h); grid (rows / (WG R), B H).
// - Measured on lavapipe (2 cores; medians; same adapter, interleaved with tfjs-webgpu running
//   matmul + softmax + matmul and its backward): B 4, S 128, H 12, D 64: forward 17 ms (8.0x
//   tfjs), forward+backward 69 ms (4.9x); S 512: 238 ms (6.3x) and 759 ms (4.75x). R = 4 here.
//
// Numerics: online softmax in f32 (running max m, running sum l, rescale by exp(m_old - m_new));
// mask values <= -1e30 count as -Infinity; a row whose keys are all masked has l = 0 and gives
// out = 0, lse = -Infinity, zero gradients. NaN in a score makes its row NaN.
//
// Backward (dS = P * (dP - delta), delta_i = rowsum(dOut_i * out_i), as in flash-attention 2):
//   backward_prep: stats[b, h, i] = (lse_i, delta_i)
//   backward_q:    dq, each lane owning R queries and sweeping the keys
//   backward_kv:   dk, dv, each lane owning R keys and sweeping the queries
// Every sum runs in a fixed order (no atomics), so gradients are bit-identical run to run.
//
// Attention-probs dropout: P_drop = P * keep / (1 - rate), keep drawn from Philox4x32-10 keyed by
// the seed and (b, h, i, j) (philox.wgsl): one call covers queries {i, i+1} x keys {j, j+1}, which
// is why lanes own consecutive rows in pairs. lse stays that of the undropped softmax.
//
// Beware (Dawn/Tint + lavapipe here): a `var x: T;` declared without initializer inside a loop
// body is NOT zeroed again on each iteration; loop-scoped variables below are always initialised.
//!include attention_common.wgsl

// Pipelines differ only in these; the head dim itself, the mask and dropout are uniforms (a branch
// on a uniform that no lane takes costs nothing on lavapipe, and every pipeline compiles slowly).
override DC: u32 = 4;          // 16-dim chunks per head row, ceil(D / 16) <= 8 (the last one zero-padded)
override R: u32 = 4;           // rows per lane: 1, 2 or 4
override WG: u32 = 32;         // lanes per workgroup, a multiple of 8

alias Chunk = mat4x4<f32>;                // 16 consecutive dims of one head row
alias Rows = array<Chunk, 32>;            // R <= 4 rows of DC <= 8 chunks: [r * 8 + c]
alias Chunks8 = array<Chunk, 8>;          // a row's chunks, or one chunk of each of the 8 lanes of a block
alias Scores = array<vec4<f32>, 8>;       // 8 keys (or queries) for R <= 4 rows: [r * 2 + half]

// ------------------------------------------------------------------ loading and storing chunks

// A head row of one input (starting at vec4 index `at`) as 8 chunks, zero past D. The loop's bound
// is a uniform, so the compiler keeps it rolled: unrolled, every vec4 load expands into eight
// bounds-checked lane loads and compile time balloons (tens of seconds per pipeline on lavapipe).
fn chunks_of(f: ptr<function, array<vec4<f32>, 32>>) -> Chunks8 {
  return Chunks8(
    Chunk((*f)[0], (*f)[1], (*f)[2], (*f)[3]), Chunk((*f)[4], (*f)[5], (*f)[6], (*f)[7]),
    Chunk((*f)[8], (*f)[9], (*f)[10], (*f)[11]), Chunk((*f)[12], (*f)[13], (*f)[14], (*f)[15]),
    Chunk((*f)[16], (*f)[17], (*f)[18], (*f)[19]), Chunk((*f)[20], (*f)[21], (*f)[22], (*f)[23]),
    Chunk((*f)[24], (*f)[25], (*f)[26], (*f)[27]), Chunk((*f)[28], (*f)[29], (*f)[30], (*f)[31]));
}
fn row_q(at: u32) -> Chunks8 {
  var f: array<vec4<f32>, 32>;
  for (var x = 0u; x < p.D4; x++) { f[x] = vec4<f32>(q[at + x]); }
  return chunks_of(&f);
}
fn row_k(at: u32) -> Chunks8 {
  var f: array<vec4<f32>, 32>;
  for (var x = 0u; x < p.D4; x++) { f[x] = vec4<f32>(k[at + x]); }
  return chunks_of(&f);
}
fn row_v(at: u32) -> Chunks8 {
  var f: array<vec4<f32>, 32>;
  for (var x = 0u; x < p.D4; x++) { f[x] = vec4<f32>(v[at + x]); }
  return chunks_of(&f);
}
fn row_dout(at: u32) -> Chunks8 {
  var f: array<vec4<f32>, 32>;
  for (var x = 0u; x < p.D4; x++) { f[x] = vec4<f32>(dout[at + x]); }
  return chunks_of(&f);
}

// rows[r * 8 + c] = m[c] * s.
fn set_row(r: u32, rows: ptr<function, Rows>, m: Chunks8, s: f32) {
  let i = r * 8u;
  (*rows)[i + 0u] = m[0] * s;
  if (DC > 1u) { (*rows)[i + 1u] = m[1] * s; }
  if (DC > 2u) { (*rows)[i + 2u] = m[2] * s; }
  if (DC > 3u) { (*rows)[i + 3u] = m[3] * s; }
  if (DC > 4u) { (*rows)[i + 4u] = m[4] * s; }
  if (DC > 5u) { (*rows)[i + 5u] = m[5] * s; }
  if (DC > 6u) { (*rows)[i + 6u] = m[6] * s; }
  if (DC > 7u) { (*rows)[i + 7u] = m[7] * s; }
}

// rows[r * 8 + c] * s for every chunk c.
fn get_row(r: u32, rows: ptr<function, Rows>, s: f32) -> Chunks8 {
  var m: Chunks8;
  let i = r * 8u;
  m[0] = (*rows)[i + 0u] * s;
  if (DC > 1u) { m[1] = (*rows)[i + 1u] * s; }
  if (DC > 2u) { m[2] = (*rows)[i + 2u] * s; }
  if (DC > 3u) { m[3] = (*rows)[i + 3u] * s; }
  if (DC > 4u) { m[4] = (*rows)[i + 4u] * s; }
  if (DC > 5u) { m[5] = (*rows)[i + 5u] * s; }
  if (DC > 6u) { m[6] = (*rows)[i + 6u] * s; }
  if (DC > 7u) { m[7] = (*rows)[i + 7u] * s; }
  return m;
}

fn store_o(at: u32, m: Chunks8) {
  for (var c = 0u; c < DC; c++) {
    for (var x = 0u; x < 4u; x++) {
      if (c * 4u + x < p.D4) { o[at + c * 4u + x] = vec4<act>(m[c][x]); }
    }
  }
}
fn store_dq(at: u32, m: Chunks8) {
  for (var c = 0u; c < DC; c++) {
    for (var x = 0u; x < 4u; x++) {
      if (c * 4u + x < p.D4) { dq[at + c * 4u + x] = vec4<act>(m[c][x]); }
    }
  }
}
fn store_dk(at: u32, m: Chunks8) {
  for (var c = 0u; c < DC; c++) {
    for (var x = 0u; x < 4u; x++) {
      if (c * 4u + x < p.D4) { dk[at + c * 4u + x] = vec4<act>(m[c][x]); }
    }
  }
}
fn store_dv(at: u32, m: Chunks8) {
  for (var c = 0u; c < DC; c++) {
    for (var x = 0u; x < 4u; x++) {
      if (c * 4u + x < p.D4) { dv[at + c * 4u + x] = vec4<act>(m[c][x]); }
    }
  }
}

// ------------------------------------------------------------------ chunk arithmetic

fn dot16(a: Chunk, b: Chunk) -> f32 {
  return dot(a[0], b[0]) + dot(a[1], b[1]) + dot(a[2], b[2]) + dot(a[3], b[3]);
}

// s[r] += (a . x[0], ..., a . x[7]) with a = rows[r * 8 + c].
fn dots_row(rows: ptr<function, Rows>, r: u32, c: u32, x: ptr<function, Chunks8>, s: ptr<function, Scores>) {
  let a = (*rows)[r * 8u + c];
  (*s)[r * 2u] += vec4<f32>(dot16(a, (*x)[0]), dot16(a, (*x)[1]), dot16(a, (*x)[2]), dot16(a, (*x)[3]));
  (*s)[r * 2u + 1u] += vec4<f32>(dot16(a, (*x)[4]), dot16(a, (*x)[5]), dot16(a, (*x)[6]), dot16(a, (*x)[7]));
}
fn dots(rows: ptr<function, Rows>, c: u32, x: ptr<function, Chunks8>, s: ptr<function, Scores>) {
  dots_row(rows, 0u, c, x, s);
  if (R > 1u) { dots_row(rows, 1u, c, x, s); }
  if (R > 2u) { dots_row(rows, 2u, c, x, s); dots_row(rows, 3u, c, x, s); }
}

// acc[r * 8 + c] = acc[r * 8 + c] * keep[r] + sum_t w[r][t] x[t].
fn axpy_row(acc: ptr<function, Rows>, r: u32, c: u32, x: ptr<function, Chunks8>, w: ptr<function, Scores>, keep: f32) {
  let lo = (*w)[r * 2u];
  let hi = (*w)[r * 2u + 1u];
  let i = r * 8u + c;
  (*acc)[i] = (*acc)[i] * keep
    + (*x)[0] * lo.x + (*x)[1] * lo.y + (*x)[2] * lo.z + (*x)[3] * lo.w
    + (*x)[4] * hi.x + (*x)[5] * hi.y + (*x)[6] * hi.z + (*x)[7] * hi.w;
}
fn axpy(acc: ptr<function, Rows>, c: u32, x: ptr<function, Chunks8>, w: ptr<function, Scores>, keep: vec4<f32>) {
  axpy_row(acc, 0u, c, x, w, keep.x);
  if (R > 1u) { axpy_row(acc, 1u, c, x, w, keep.y); }
  if (R > 2u) { axpy_row(acc, 2u, c, x, w, keep.z); axpy_row(acc, 3u, c, x, w, keep.w); }
}

fn max4(x: vec4<f32>) -> f32 { return max(max(x.x, x.y), max(x.z, x.w)); }
fn sum4(x: vec4<f32>) -> f32 { return (x.x + x.y) + (x.z + x.w); }

// Additive mask values of the 8 keys (or queries' validity) held by the lanes of a block:
// lane t passes its own value, every lane gets all 8 as (keys 0-3, keys 4-7).
fn lanes_f32(x: f32) -> array<vec4<f32>, 2> {
  let a = lanes_vec4(vec4<f32>(x, 0.0, 0.0, 0.0));
  return array<vec4<f32>, 2>(vec4<f32>(a[0].x, a[1].x, a[2].x, a[3].x), vec4<f32>(a[4].x, a[5].x, a[6].x, a[7].x));
}

// ------------------------------------------------------------------ dropout masks


// Keep factors (0 or 1 / (1 - rate)) of this lane's R rows starting at row0 (queries when
// `queries`, else keys) against the 8 columns c0 .. c0 + 7 (c0 a multiple of 8): z[r * 2 + half].
// Rows pair up as (row0, row0 + 1), ... and columns as (c0, c0 + 1), ...: one Philox call covers a
// row pair x column pair. The calls run in a loop the compiler keeps rolled (its body is large),
// so each pipeline compiles one Philox instead of eight.
fn keep_block(bh: u32, row0: u32, c0: u32, queries: bool) -> Scores {
  // Without dropout the loop runs 0 times and every factor stays 1: no branch around the caller's
  // code (a branch there doubles compile time on lavapipe), and no Philox work at run time.
  let one = vec4<f32>(1.0);
  var w = array<vec4<f32>, 8>(one, one, one, one, one, one, one, one);
  let re = row0 & ~1u;
  let calls = select(select(4u, 8u, R > 2u), 0u, p.threshold == 0u);
  for (var n = 0u; n < calls; n++) {
    let r = re + 2u * (n >> 2u);
    let c = c0 + 2u * (n & 3u);
    let i = select(c, r, queries);
    let j = select(r, c, queries);
    w[n] = philox_keep4(philox_attention(bh, i, j), p.threshold, p.drop_scale);
  }
  // Word order of a call: (i even, j even), (i even, j odd), (i odd, j even), (i odd, j odd).
  var z = Scores();
  for (var rp = 0u; rp < 2u; rp++) {
    let n = rp * 4u;
    if (queries) {
      z[rp * 4u] = vec4<f32>(w[n].xy, w[n + 1u].xy);
      z[rp * 4u + 1u] = vec4<f32>(w[n + 2u].xy, w[n + 3u].xy);
      z[rp * 4u + 2u] = vec4<f32>(w[n].zw, w[n + 1u].zw);
      z[rp * 4u + 3u] = vec4<f32>(w[n + 2u].zw, w[n + 3u].zw);
    } else {
      z[rp * 4u] = vec4<f32>(w[n].xz, w[n + 1u].xz);
      z[rp * 4u + 1u] = vec4<f32>(w[n + 2u].xz, w[n + 3u].xz);
      z[rp * 4u + 2u] = vec4<f32>(w[n].yw, w[n + 1u].yw);
      z[rp * 4u + 3u] = vec4<f32>(w[n + 2u].yw, w[n + 3u].yw);
    }
  }
  if (R == 1u && (row0 & 1u) == 1u) {  // a single odd row takes its pair's second half
    z[0] = z[2];
    z[1] = z[3];
  }
  return z;
}

fn philox_attention(bh: u32, i: u32, j: u32) -> vec4<u32> {
  return philox4x32_10(vec4<u32>(j >> 1u, i >> 1u, bh, PHILOX_ATTENTION), vec2<u32>(p.seed_lo, p.seed_hi));
}

// ------------------------------------------------------------------ shared steps

// Scores of the lane's rows against the 8 lanes' chunks `own` (one block), for every chunk c:
// s[r][t] += rows[r] . (lane t's own).
fn block_dots_chunk(c: u32, rows: ptr<function, Rows>, own: ptr<function, Chunks8>, x: ptr<function, Chunks8>, s: ptr<function, Scores>) {
  if (c < DC) {
    *x = lanes_chunk((*own)[c]);
    dots(rows, c, x, s);
  }
}
fn block_dots(rows: ptr<function, Rows>, own: ptr<function, Chunks8>, s: ptr<function, Scores>) {
  var x: Chunks8;
  block_dots_chunk(0u, rows, own, &x, s); block_dots_chunk(1u, rows, own, &x, s);
  block_dots_chunk(2u, rows, own, &x, s); block_dots_chunk(3u, rows, own, &x, s);
  block_dots_chunk(4u, rows, own, &x, s); block_dots_chunk(5u, rows, own, &x, s);
  block_dots_chunk(6u, rows, own, &x, s); block_dots_chunk(7u, rows, own, &x, s);
}

// acc[r] = acc[r] * keep[r] + sum_t w[r][t] * (lane t's own), for every chunk.
fn block_axpy_chunk(c: u32, acc: ptr<function, Rows>, own: ptr<function, Chunks8>, x: ptr<function, Chunks8>, w: ptr<function, Scores>, keep: vec4<f32>) {
  if (c < DC) {
    *x = lanes_chunk((*own)[c]);
    axpy(acc, c, x, w, keep);
  }
}
fn block_axpy(acc: ptr<function, Rows>, own: ptr<function, Chunks8>, w: ptr<function, Scores>, keep: vec4<f32>) {
  var x: Chunks8;
  block_axpy_chunk(0u, acc, own, &x, w, keep); block_axpy_chunk(1u, acc, own, &x, w, keep);
  block_axpy_chunk(2u, acc, own, &x, w, keep); block_axpy_chunk(3u, acc, own, &x, w, keep);
  block_axpy_chunk(4u, acc, own, &x, w, keep); block_axpy_chunk(5u, acc, own, &x, w, keep);
  block_axpy_chunk(6u, acc, own, &x, w, keep); block_axpy_chunk(7u, acc, own, &x, w, keep);
}

// s *= z elementwise over the R rows.
fn scale_scores(s: ptr<function, Scores>, z: ptr<function, Scores>) {
  (*s)[0] *= (*z)[0]; (*s)[1] *= (*z)[1];
  if (R > 1u) { (*s)[2] *= (*z)[2]; (*s)[3] *= (*z)[3]; }
  if (R > 2u) { (*s)[4] *= (*z)[4]; (*s)[5] *= (*z)[5]; (*s)[6] *= (*z)[6]; (*s)[7] *= (*z)[7]; }
}

// Validity (index < S) of the 8 columns c0 .. c0 + 7, as (columns 0-3, columns 4-7).
fn valid8(c0: u32) -> array<vec4<bool>, 2> {
  let c = vec4<u32>(c0) + vec4<u32>(0u, 1u, 2u, 3u);
  return array<vec4<bool>, 2>(c < vec4<u32>(p.S), c + 4u < vec4<u32>(p.S));
}

// ------------------------------------------------------------------ forward

// Online-softmax update of row r with the block's scores s (+ key bias, invalid keys removed):
// s becomes the row's unnormalised probabilities, alpha[r] the factor for its old accumulator.
fn online_row(r: u32, bias: array<vec4<f32>, 2>, ok: array<vec4<bool>, 2>, s: ptr<function, Scores>, m: ptr<function, vec4<f32>>, l: ptr<function, vec4<f32>>, alpha: ptr<function, vec4<f32>>) {
  let ninf = vec4<f32>(neg_inf());
  let lo = select(ninf, (*s)[r * 2u] + bias[0], ok[0]);
  let hi = select(ninf, (*s)[r * 2u + 1u] + bias[1], ok[1]);
  let mold = (*m)[r];
  let mnew = max(mold, max(max4(lo), max4(hi)));
  // While every key so far is masked, mnew is -inf: measure from 0 so exp() gives 0, not NaN.
  let mref = select(mnew, 0.0, mnew == neg_inf());
  let a = exp(mold - mref);
  let plo = exp(lo - vec4<f32>(mref));
  let phi = exp(hi - vec4<f32>(mref));
  (*m)[r] = mnew;
  (*l)[r] = (*l)[r] * a + (sum4(plo) + sum4(phi));
  (*alpha)[r] = a;
  (*s)[r * 2u] = plo;
  (*s)[r * 2u + 1u] = phi;
}

// Queries row0 .. row0 + R - 1 of head wid.y against every key: their out rows and lse.
fn forward_body(lid: u32, wid: vec3<u32>) {
  let bh = wid.y;
  let b = bh / p.H;
  let hoff = (bh % p.H) * p.D4;
  let lane = lane_id();
  let row0 = (wid.x * WG + lid) * R;
  var qr: Rows;   // the lane's queries, times scale
  var acc: Rows;  // sum_j P_ij v_j, unnormalised
  set_row(0u, &qr, row_q(row_at(b, row0, hoff)), p.scale);
  if (R > 1u) { set_row(1u, &qr, row_q(row_at(b, row0 + 1u, hoff)), p.scale); }
  if (R > 2u) {
    set_row(2u, &qr, row_q(row_at(b, row0 + 2u, hoff)), p.scale);
    set_row(3u, &qr, row_q(row_at(b, row0 + 3u, hoff)), p.scale);
  }
  var m = vec4<f32>(neg_inf());
  var l = vec4<f32>(0.0);
  for (var j0 = 0u; j0 < p.S; j0 += 8u) {
    // Lane t holds key j0 + t; every lane sees all 8 through the exchanges.
    let kat = row_at(b, j0 + lane, hoff);
    var kc = row_k(kat);
    var s = Scores();
    block_dots(&qr, &kc, &s);
    let bias = lanes_f32(mask_at(b, min(j0 + lane, p.S - 1u)));
    let ok = valid8(j0);
    var alpha = vec4<f32>(1.0);
    online_row(0u, bias, ok, &s, &m, &l, &alpha);
    if (R > 1u) { online_row(1u, bias, ok, &s, &m, &l, &alpha); }
    if (R > 2u) { online_row(2u, bias, ok, &s, &m, &l, &alpha); online_row(3u, bias, ok, &s, &m, &l, &alpha); }
    var z = keep_block(bh, row0, j0, true);
    scale_scores(&s, &z);
    var vc = row_v(kat);
    block_axpy(&acc, &vc, &s, alpha);
  }
  let empty = l == vec4<f32>(0.0);
  let inv = select(1.0 / l, vec4<f32>(0.0), empty);
  let lse4 = select(m + log(l), vec4<f32>(neg_inf()), empty);
  if (row0 < p.S) {
    store_o(row_at(b, row0, hoff), get_row(0u, &acc, inv.x));
    lse[bh * p.S + row0] = lse4.x;
  }
  if (R > 1u && row0 + 1u < p.S) {
    store_o(row_at(b, row0 + 1u, hoff), get_row(1u, &acc, inv.y));
    lse[bh * p.S + row0 + 1u] = lse4.y;
  }
  if (R > 2u && row0 + 2u < p.S) {
    store_o(row_at(b, row0 + 2u, hoff), get_row(2u, &acc, inv.z));
    lse[bh * p.S + row0 + 2u] = lse4.z;
  }
  if (R > 2u && row0 + 3u < p.S) {
    store_o(row_at(b, row0 + 3u, hoff), get_row(3u, &acc, inv.w));
    lse[bh * p.S + row0 + 3u] = lse4.w;
  }
}

// ------------------------------------------------------------------ backward

// Row r of a block: P = exp(s + bias - lse) (0 for invalid columns and for rows whose lse is
// -inf, i.e. every key masked), then s <- dS = P * (dP - delta) with dP = dp (times the dropout
// factor z, all ones without dropout), and pd <- P (times z): the weights of dv. lse and delta are given per column as
// vec4 pairs (a row's own values repeated when they are per row).
fn grad_row(r: u32, bias: array<vec4<f32>, 2>, ok: array<vec4<bool>, 2>, lse_lo: vec4<f32>, lse_hi: vec4<f32>, del_lo: vec4<f32>, del_hi: vec4<f32>, s: ptr<function, Scores>, dp: ptr<function, Scores>, z: ptr<function, Scores>, pd: ptr<function, Scores>) {
  let zero = vec4<f32>(0.0);
  let ninf = vec4<f32>(neg_inf());
  let plo = select(zero, exp((*s)[r * 2u] + bias[0] - lse_lo), ok[0] & (lse_lo != ninf));
  let phi = select(zero, exp((*s)[r * 2u + 1u] + bias[1] - lse_hi), ok[1] & (lse_hi != ninf));
  let zlo = (*z)[r * 2u];
  let zhi = (*z)[r * 2u + 1u];
  let dlo = (*dp)[r * 2u] * zlo;
  let dhi = (*dp)[r * 2u + 1u] * zhi;
  (*pd)[r * 2u] = plo * zlo;
  (*pd)[r * 2u + 1u] = phi * zhi;
  (*s)[r * 2u] = plo * (dlo - del_lo);
  (*s)[r * 2u + 1u] = phi * (dhi - del_hi);
}

fn splat2(x: f32) -> array<vec4<f32>, 2> { return array<vec4<f32>, 2>(vec4<f32>(x), vec4<f32>(x)); }

// Queries row0 .. row0 + R - 1 of head wid.y against every key: dq = scale * sum_j dS_ij k_j.
fn backward_q_body(lid: u32, wid: vec3<u32>) {
  let bh = wid.y;
  let b = bh / p.H;
  let hoff = (bh % p.H) * p.D4;
  let lane = lane_id();
  let row0 = (wid.x * WG + lid) * R;
  var qr: Rows;   // the lane's queries, times scale
  var dor: Rows;  // their dout
  var dqr: Rows;  // sum_j dS_ij k_j
  set_row(0u, &qr, row_q(row_at(b, row0, hoff)), p.scale);
  set_row(0u, &dor, row_dout(row_at(b, row0, hoff)), 1.0);
  if (R > 1u) {
    set_row(1u, &qr, row_q(row_at(b, row0 + 1u, hoff)), p.scale);
    set_row(1u, &dor, row_dout(row_at(b, row0 + 1u, hoff)), 1.0);
  }
  if (R > 2u) {
    set_row(2u, &qr, row_q(row_at(b, row0 + 2u, hoff)), p.scale);
    set_row(2u, &dor, row_dout(row_at(b, row0 + 2u, hoff)), 1.0);
    set_row(3u, &qr, row_q(row_at(b, row0 + 3u, hoff)), p.scale);
    set_row(3u, &dor, row_dout(row_at(b, row0 + 3u, hoff)), 1.0);
  }
  let st0 = stats[bh * p.S + min(row0, p.S - 1u)];
  let st1 = stats[bh * p.S + min(row0 + 1u, p.S - 1u)];
  let st2 = stats[bh * p.S + min(row0 + 2u, p.S - 1u)];
  let st3 = stats[bh * p.S + min(row0 + 3u, p.S - 1u)];
  for (var j0 = 0u; j0 < p.S; j0 += 8u) {
    let kat = row_at(b, j0 + lane, hoff);
    var kc = row_k(kat);
    var vc = row_v(kat);
    var s = Scores();
    var dp = Scores();
    block_dots(&qr, &kc, &s);
    block_dots(&dor, &vc, &dp);
    let bias = lanes_f32(mask_at(b, min(j0 + lane, p.S - 1u)));
    let ok = valid8(j0);
    var z = keep_block(bh, row0, j0, true);
    var pd = Scores();
    grad_row(0u, bias, ok, vec4<f32>(st0.x), vec4<f32>(st0.x), vec4<f32>(st0.y), vec4<f32>(st0.y), &s, &dp, &z, &pd);
    if (R > 1u) { grad_row(1u, bias, ok, vec4<f32>(st1.x), vec4<f32>(st1.x), vec4<f32>(st1.y), vec4<f32>(st1.y), &s, &dp, &z, &pd); }
    if (R > 2u) {
      grad_row(2u, bias, ok, vec4<f32>(st2.x), vec4<f32>(st2.x), vec4<f32>(st2.y), vec4<f32>(st2.y), &s, &dp, &z, &pd);
      grad_row(3u, bias, ok, vec4<f32>(st3.x), vec4<f32>(st3.x), vec4<f32>(st3.y), vec4<f32>(st3.y), &s, &dp, &z, &pd);
    }
    block_axpy(&dqr, &kc, &s, vec4<f32>(1.0));
  }
  if (row0 < p.S) { store_dq(row_at(b, row0, hoff), get_row(0u, &dqr, p.scale)); }
  if (R > 1u && row0 + 1u < p.S) { store_dq(row_at(b, row0 + 1u, hoff), get_row(1u, &dqr, p.scale)); }
  if (R > 2u && row0 + 2u < p.S) { store_dq(row_at(b, row0 + 2u, hoff), get_row(2u, &dqr, p.scale)); }
  if (R > 2u && row0 + 3u < p.S) { store_dq(row_at(b, row0 + 3u, hoff), get_row(3u, &dqr, p.scale)); }
}

// Keys row0 .. row0 + R - 1 of head wid.y against every query:
// dk = scale * sum_i dS_ij q_i, dv = sum_i P_ij (dropped out) dout_i.
fn backward_kv_body(lid: u32, wid: vec3<u32>) {
  let bh = wid.y;
  let b = bh / p.H;
  let hoff = (bh % p.H) * p.D4;
  let lane = lane_id();
  let row0 = (wid.x * WG + lid) * R;
  var kr: Rows;   // the lane's keys, times scale
  var vr: Rows;   // their values
  var dkr: Rows;  // sum_i dS_ij q_i
  var dvr: Rows;  // sum_i P_ij dout_i
  set_row(0u, &kr, row_k(row_at(b, row0, hoff)), p.scale);
  set_row(0u, &vr, row_v(row_at(b, row0, hoff)), 1.0);
  if (R > 1u) {
    set_row(1u, &kr, row_k(row_at(b, row0 + 1u, hoff)), p.scale);
    set_row(1u, &vr, row_v(row_at(b, row0 + 1u, hoff)), 1.0);
  }
  if (R > 2u) {
    set_row(2u, &kr, row_k(row_at(b, row0 + 2u, hoff)), p.scale);
    set_row(2u, &vr, row_v(row_at(b, row0 + 2u, hoff)), 1.0);
    set_row(3u, &kr, row_k(row_at(b, row0 + 3u, hoff)), p.scale);
    set_row(3u, &vr, row_v(row_at(b, row0 + 3u, hoff)), 1.0);
  }
  // The mask is per key: constant along each of this lane's rows.
  let kb0 = splat2(mask_at(b, min(row0, p.S - 1u)));
  let kb1 = splat2(mask_at(b, min(row0 + 1u, p.S - 1u)));
  let kb2 = splat2(mask_at(b, min(row0 + 2u, p.S - 1u)));
  let kb3 = splat2(mask_at(b, min(row0 + 3u, p.S - 1u)));
  for (var i0 = 0u; i0 < p.S; i0 += 8u) {
    // Lane t holds query i0 + t.
    let qat = row_at(b, i0 + lane, hoff);
    var qc = row_q(qat);
    var dc = row_dout(qat);
    var s = Scores();
    var dp = Scores();
    block_dots(&kr, &qc, &s);
    block_dots(&vr, &dc, &dp);
    let sq = lanes_vec4(vec4<f32>(stats[bh * p.S + min(i0 + lane, p.S - 1u)], 0.0, 0.0));
    let lse_lo = vec4<f32>(sq[0].x, sq[1].x, sq[2].x, sq[3].x);
    let lse_hi = vec4<f32>(sq[4].x, sq[5].x, sq[6].x, sq[7].x);
    let del_lo = vec4<f32>(sq[0].y, sq[1].y, sq[2].y, sq[3].y);
    let del_hi = vec4<f32>(sq[4].y, sq[5].y, sq[6].y, sq[7].y);
    let ok = valid8(i0);
    var z = keep_block(bh, row0, i0, false);
    var pd = Scores();
    grad_row(0u, kb0, ok, lse_lo, lse_hi, del_lo, del_hi, &s, &dp, &z, &pd);
    if (R > 1u) { grad_row(1u, kb1, ok, lse_lo, lse_hi, del_lo, del_hi, &s, &dp, &z, &pd); }
    if (R > 2u) {
      grad_row(2u, kb2, ok, lse_lo, lse_hi, del_lo, del_hi, &s, &dp, &z, &pd);
      grad_row(3u, kb3, ok, lse_lo, lse_hi, del_lo, del_hi, &s, &dp, &z, &pd);
    }
    block_axpy(&dvr, &dc, &pd, vec4<f32>(1.0));
    block_axpy(&dkr, &qc, &s, vec4<f32>(1.0));
  }
  if (row0 < p.S) {
    store_dk(row_at(b, row0, hoff), get_row(0u, &dkr, p.scale));
    store_dv(row_at(b, row0, hoff), get_row(0u, &dvr, 1.0));
  }
  if (R > 1u && row0 + 1u < p.S) {
    store_dk(row_at(b, row0 + 1u, hoff), get_row(1u, &dkr, p.scale));
    store_dv(row_at(b, row0 + 1u, hoff), get_row(1u, &dvr, 1.0));
  }
  if (R > 2u && row0 + 2u < p.S) {
    store_dk(row_at(b, row0 + 2u, hoff), get_row(2u, &dkr, p.scale));
    store_dv(row_at(b, row0 + 2u, hoff), get_row(2u, &dvr, 1.0));
  }
  if (R > 2u && row0 + 3u < p.S) {
    store_dk(row_at(b, row0 + 3u, hoff), get_row(3u, &dkr, p.scale));
    store_dv(row_at(b, row0 + 3u, hoff), get_row(3u, &dvr, 1.0));
  }
}
