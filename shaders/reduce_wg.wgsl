// Workgroup reductions in a fixed tree order (deterministic, no atomics), the one helper every
// shader that reduces across invocations uses: sums of one or two floats and a NaN-propagating
// max over a segment of `seg` consecutive invocations (a row of rows.wgsl with seg = TPR, or the
// whole workgroup with seg = WG), seg a power of two dividing WG. Every invocation of the segment
// gets the result. Call from uniform control flow (every invocation reaches the barriers); seg = 1
// returns at once, with no barrier (a software adapter's one invocation per row).
// The includer declares `override WG` (the workgroup size, a power of two) and includes common.wgsl.

// Two scalar arrays rather than one of vec2s: wgsl_reflect's detectRaces (test/shaders.test.ts)
// cannot execute stores of vectors into workgroup arrays.
var<workgroup> red_a: array<f32, WG>;
var<workgroup> red_b: array<f32, WG>;

fn seg_sum2(lid: u32, seg: u32, v: vec2<f32>) -> vec2<f32> {
  if (seg == 1u) { return v; }
  red_a[lid] = v.x;
  red_b[lid] = v.y;
  workgroupBarrier();
  let lane = lid % seg;
  for (var s = seg / 2u; s > 0u; s >>= 1u) {
    if (lane < s) {
      red_a[lid] = red_a[lid] + red_a[lid + s];
      red_b[lid] = red_b[lid] + red_b[lid + s];
    }
    workgroupBarrier();
  }
  let r = vec2<f32>(red_a[lid - lane], red_b[lid - lane]);
  // The arrays are free again once every invocation has read its result.
  workgroupBarrier();
  return r;
}

fn seg_sum(lid: u32, seg: u32, v: f32) -> f32 {
  return seg_sum2(lid, seg, vec2<f32>(v, 0.0)).x;
}

// Max over the segment, NaN if any value is NaN (max_nan from common.wgsl).
fn seg_max(lid: u32, seg: u32, v: f32) -> f32 {
  if (seg == 1u) { return v; }
  red_a[lid] = v;
  workgroupBarrier();
  let lane = lid % seg;
  for (var s = seg / 2u; s > 0u; s >>= 1u) {
    if (lane < s) { red_a[lid] = max_nan(red_a[lid], red_a[lid + s]); }
    workgroupBarrier();
  }
  let r = red_a[lid - lane];
  workgroupBarrier();
  return r;
}
