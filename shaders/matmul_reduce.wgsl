// Split-K second pass: sums the partial products of every split in a fixed order (deterministic:
// no float atomics) and applies the fused epilogue. One invocation per output element.
//!include matmul_common.wgsl

@group(0) @binding(5) var<storage, read> partial: array<f32>;   // (splits, batches, M, N)

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = gid.x + gid.y * nwg.x * WG;
  let slab = p.M * p.N;
  let total = p.batches * slab;
  if (o >= total) { return; }
  var acc = 0.0;
  for (var s = 0u; s < p.splits; s++) {
    acc += partial[s * total + o];
  }
  let rem = o % slab;
  store_result(o / slab, 0u, rem / p.N, rem % p.N, acc);
}
