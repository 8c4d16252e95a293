// Column sums of a (rows, N) matrix: the bias gradient sumRows(dy). Deterministic: `partial`
// sums a fixed chunk of rows per (column group, chunk) in row order; `finish` sums the chunks in
// chunk order. Each invocation owns 4 adjacent columns.
struct Params { rows: u32, N: u32, rows_per_chunk: u32, chunks: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<act>;        // partial's input: (rows, N)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;  // partial: (chunks, N); finish: (N)
@group(0) @binding(3) var<storage, read> chunk_sums: array<f32>;  // finish's input: (chunks, N)

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = (wid.x * WG + lid) * 4u;
  if (n >= p.N) { return; }
  let chunk = wid.y;
  let begin = chunk * p.rows_per_chunk;
  let end = min(p.rows, begin + p.rows_per_chunk);
  let width = min(4u, p.N - n);
  var acc = vec4(0.0);
  for (var r = begin; r < end; r++) {
    let e = r * p.N + n;
    var v = vec4(0.0);
    for (var c = 0u; c < width; c++) { v[c] = f32(x[e + c]); }
    acc += v;
  }
  for (var c = 0u; c < width; c++) { y[chunk * p.N + n + c] = acc[c]; }
}

@compute @workgroup_size(WG)
fn finish(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x * WG + lid;
  if (n >= p.N) { return; }
  var acc = 0.0;
  for (var c = 0u; c < p.chunks; c++) { acc += chunk_sums[c * p.N + n]; }
  y[n] = acc;
}
