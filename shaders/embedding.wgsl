// Embedding lookup and row gather, and their deterministic scatter-add backward.
//
// Both ops read rows of a table (V, C) at ids. For an embedding, id(t) = ids[t]. For a row gather
// from x (B, S, C) at positions (B, P), the table is x viewed as (B*S, C) and
// id(t) = positions[t] + (t / P) * S: the same kernels serve both (seg_len = P, seg_stride = S;
// seg_len = 0 for an embedding). An id outside its range gives a NaN row in the forward, is
// reported to the launch's guard slot (guard.wgsl: the next download raises an error naming it)
// and is skipped by the backward; `validate` only reports.
//
// Backward, deterministic (the same bits every run, whatever the repeats): a stable counting sort
// of the tokens by id, then one invocation per (vocab row, column) that sums its tokens' dy rows
// in token order.
//
// Float types: out and dtable are activations (`act`); the table read by the forward and the dy
// read by the backward are raw words (TABLE_F16 / DY_F16: f16 halves, else f32), so an f32 table
// (a master weight) can fill an f16 activation and an f16 gradient can sum into an f32 table.
//   hist:       tokens are split into `nb` contiguous blocks; one invocation per block counts its
//               tokens per id, serially, into counts (V, nb). No atomics.
//   scan:       one workgroup: exclusive prefix sum of counts in (id, block) order -> cursor
//               (V, nb), and row_start (V + 1) = where each id's tokens begin.
//   place:      one invocation per block walks its tokens in order, sorted[cursor[id, b]++] = t.
//   accumulate: dtable[v, c] = sum of dy[sorted[k], c] for k in row_start[v] .. row_start[v+1].

struct Params {
  tokens: u32,      // number of ids
  V: u32,           // table rows (B*S for a row gather)
  C: u32,           // row width (in vec4s for the _vec4 entries)
  seg_len: u32,     // P for a row gather, 0 for an embedding
  seg_stride: u32,  // S for a row gather
  range: u32,       // valid ids are [0, range): V for an embedding, S for a row gather
  nb: u32,          // token blocks of the backward
  block_len: u32,   // tokens per block
  rows_per_group: u32,  // gather / accumulate: rows handled by one workgroup row
  guard_slot: u32,  // gather / validate: where a bad id is reported
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;   // (tokens)

override WG: u32 = 64;

//!include guard.wgsl

// The table row of token t, or -1 if its id is out of range.
fn row_of(t: u32) -> i32 {
  let id = ids[t];
  if (id < 0 || u32(id) >= p.range) { return -1; }
  if (p.seg_len == 0u) { return id; }
  return id + i32((t / p.seg_len) * p.seg_stride);
}

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// ---------------------------------------------------------------- forward: out[t, :] = table[row_of(t), :]

@group(0) @binding(2) var<storage, read> table: array<u32>;          // (V, C) f32 or f16 words
@group(0) @binding(3) var<storage, read_write> out: array<act>;      // (tokens, C)

override TABLE_F16: bool = false;
override DY_F16: bool = false;

// Element e of a scalar view of raw words, f16 halves or f32.
fn table_at(e: u32) -> f32 {
  if (TABLE_F16) { return unpack2x16float(table[e / 2u])[e % 2u]; }
  return bitcast<f32>(table[e]);
}

// Elements 4q .. 4q + 3 of a vec4 view of raw words: an f32 vec4 is one word quad, an f16 one half of it.
fn quad_of(w: vec4<u32>, half: bool, q: u32) -> vec4<f32> {
  if (!half) { return bitcast<vec4<f32>>(w); }
  let pair = select(w.xy, w.zw, (q & 1u) == 1u);
  return vec4<f32>(unpack2x16float(pair.x), unpack2x16float(pair.y));
}

// Row-major launches: x runs over a row's columns, y (then z past 65535) over groups of
// rows_per_group consecutive rows, so no invocation divides by C (an integer division per element
// is slow on CPU implementations) and a CPU gets few, long workgroups.
fn rows_of_launch(wid: vec3<u32>, nwg: vec3<u32>, rows: u32) -> vec2<u32> {
  let r0 = (wid.y + wid.z * nwg.y) * p.rows_per_group;
  return vec2<u32>(r0, min(rows, r0 + p.rows_per_group));
}

@compute @workgroup_size(WG)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
          @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  let span = rows_of_launch(wid, nwg, p.tokens);
  for (var t = span.x; t < span.y; t++) {
    let r = row_of(t);
    if (r < 0 && c == 0u) { guard_report(p.guard_slot, t, bitcast<u32>(ids[t])); }
    out[t * p.C + c] = act(select(table_at(u32(max(r, 0)) * p.C + c), bitcast<f32>(NAN_BITS), r < 0));
  }
}

@group(0) @binding(4) var<storage, read> table4: array<vec4<u32>>;       // (V, C/4) f32 words, (V, C/8) f16 words
@group(0) @binding(5) var<storage, read_write> out4: array<vec4<act>>;   // (tokens, C/4)

@compute @workgroup_size(WG)
fn gather_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
               @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  let span = rows_of_launch(wid, nwg, p.tokens);
  for (var t = span.x; t < span.y; t++) {
    let r = row_of(t);
    if (r < 0 && c == 0u) { guard_report(p.guard_slot, t, bitcast<u32>(ids[t])); }
    let q = u32(max(r, 0)) * p.C + c;
    let w = table4[select(q, q / 2u, TABLE_F16)];
    out4[t * p.C + c] = vec4<act>(select(quad_of(w, TABLE_F16, q), vec4<f32>(bitcast<f32>(NAN_BITS)), r < 0));
  }
}

var<private> NAN_BITS: u32 = 0x7fc00000u;

// ---------------------------------------------------------------- validate

@compute @workgroup_size(WG)
fn validate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat(gid, nwg);
  if (t < p.tokens && row_of(t) < 0) { guard_report(p.guard_slot, t, bitcast<u32>(ids[t])); }
}

// ---------------------------------------------------------------- backward

@group(0) @binding(7) var<storage, read_write> counts: array<u32>;       // (V, nb), zeroed
@group(0) @binding(8) var<storage, read_write> cursor: array<u32>;       // (V, nb)
@group(0) @binding(9) var<storage, read_write> row_start: array<u32>;    // (V + 1)
@group(0) @binding(10) var<storage, read_write> sorted: array<u32>;      // (tokens)

@compute @workgroup_size(WG)
fn hist(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= p.nb) { return; }
  let t1 = min(p.tokens, (b + 1u) * p.block_len);
  for (var t = b * p.block_len; t < t1; t++) {
    let r = row_of(t);
    if (r >= 0) { counts[u32(r) * p.nb + b] += 1u; }
  }
}

override SWG: u32 = 256;
var<workgroup> chunk_sums: array<u32, SWG>;

@compute @workgroup_size(SWG)
fn scan(@builtin(local_invocation_index) lid: u32) {
  let n = p.V * p.nb;
  let per = (n + SWG - 1u) / SWG;
  let i0 = min(n, lid * per);
  let i1 = min(n, i0 + per);
  var s = 0u;
  for (var i = i0; i < i1; i++) { s += counts[i]; }
  chunk_sums[lid] = s;
  workgroupBarrier();
  // Hillis-Steele inclusive scan of the chunk sums.
  for (var d = 1u; d < SWG; d <<= 1u) {
    var v = chunk_sums[lid];
    if (lid >= d) { v += chunk_sums[lid - d]; }
    workgroupBarrier();
    chunk_sums[lid] = v;
    workgroupBarrier();
  }
  var run = chunk_sums[lid] - s;   // exclusive prefix of this chunk
  for (var i = i0; i < i1; i++) {
    cursor[i] = run;
    if (i % p.nb == 0u) { row_start[i / p.nb] = run; }
    run += counts[i];
  }
  if (lid == SWG - 1u) { row_start[p.V] = chunk_sums[lid]; }
}

@compute @workgroup_size(WG)
fn place(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= p.nb) { return; }
  let t1 = min(p.tokens, (b + 1u) * p.block_len);
  for (var t = b * p.block_len; t < t1; t++) {
    let r = row_of(t);
    if (r >= 0) {
      let k = u32(r) * p.nb + b;
      sorted[cursor[k]] = t;
      cursor[k] += 1u;
    }
  }
}

@group(0) @binding(11) var<storage, read> dy: array<u32>;                 // (tokens, C) f32 or f16 words
@group(0) @binding(12) var<storage, read> starts: array<u32>;             // (V + 1)
@group(0) @binding(13) var<storage, read> order: array<u32>;              // (tokens)
@group(0) @binding(14) var<storage, read_write> dtable: array<act>;       // (V, C)

fn dy_at(e: u32) -> f32 {
  if (DY_F16) { return unpack2x16float(dy[e / 2u])[e % 2u]; }
  return bitcast<f32>(dy[e]);
}

@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  let span = rows_of_launch(wid, nwg, p.V);
  for (var v = span.x; v < span.y; v++) {
    var s = 0.0;
    for (var k = starts[v]; k < starts[v + 1u]; k++) { s += dy_at(order[k] * p.C + c); }
    dtable[v * p.C + c] = act(s);
  }
}

@group(0) @binding(15) var<storage, read> dy4: array<vec4<u32>>;           // (tokens, C/4) f32 words, (tokens, C/8) f16 words
@group(0) @binding(16) var<storage, read_write> dtable4: array<vec4<act>>; // (V, C/4)

@compute @workgroup_size(WG)
fn accumulate_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                   @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  let span = rows_of_launch(wid, nwg, p.V);
  for (var v = span.x; v < span.y; v++) {
    var s = vec4<f32>();
    for (var k = starts[v]; k < starts[v + 1u]; k++) {
      let q = order[k] * p.C + c;
      s += quad_of(dy4[select(q, q / 2u, DY_F16)], DY_F16, q);
    }
    dtable4[v * p.C + c] = vec4<act>(s);
  }
}
