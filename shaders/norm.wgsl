// Global L2 norm of many tensors, deterministic, and the clipping multiplier.
//   sumsq: one launch per tensor; workgroup w sums the squares of its fixed slice of src and writes
//          partial[offset + w]. Slices, per-invocation order and the tree are fixed by n alone.
//   finish: one workgroup sums every partial in order; norm = sqrt(total).
//   clip:   scale = min(1, max_norm / (norm + 1e-6)), NaN if norm is NaN.
//!include common.wgsl

struct Params {
  n: u32,           // sumsq: elements of src; finish: number of partials
  groups: u32,      // sumsq: workgroups in the launch
  offset: u32,      // sumsq: first partial slot of this tensor
  max_norm: f32,    // clip
}
@group(0) @binding(0) var<uniform> p: Params;

override WG: u32 = 256;
//!include reduce_wg.wgsl

// (Named `src`, not `x`: wgsl_reflect does not scope names, so a helper parameter `x` in an included
// file would count as a use of the binding by every entry point calling that helper.)
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> src4: array<vec4<f32>>;   // the same buffer, as vec4s
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(WG)
fn sumsq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n4 = p.n / 4u;
  let per = (n4 + p.groups - 1u) / p.groups;
  let i0 = wid.x * per;
  let i1 = min(n4, i0 + per);
  var acc = vec4<f32>();
  for (var i = i0 + lid; i < i1; i += WG) {
    let v = src4[i];
    acc += v * v;
  }
  var s = (acc.x + acc.y) + (acc.z + acc.w);
  // The last workgroup also takes the scalar tail past the last whole vec4.
  if (wid.x == p.groups - 1u) {
    let t = 4u * n4 + lid;
    if (t < p.n) { s += src[t] * src[t]; }
  }
  let total = seg_sum(lid, WG, s);
  if (lid == 0u) { partial[p.offset + wid.x] = total; }
}

@group(0) @binding(4) var<storage, read> partials: array<f32>;
@group(0) @binding(5) var<storage, read_write> norm: array<f32>;   // []

@compute @workgroup_size(WG)
fn finish(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < p.n; i += WG) { s += partials[i]; }
  let total = seg_sum(lid, WG, s);
  if (lid == 0u) { norm[0] = sqrt(total); }
}

@group(0) @binding(6) var<storage, read> norm_in: array<f32>;      // []
@group(0) @binding(7) var<storage, read_write> scale: array<f32>;  // []

@compute @workgroup_size(1)
fn clip() {
  scale[0] = min_nan(1.0, p.max_norm / (norm_in[0] + 1e-6));
}
