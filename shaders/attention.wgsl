// Fused softmax attention (see attention_kernels.wgsl) for adapters with subgroups of at least
// 8 invocations (lavapipe's are exactly 8, one AVX2 vector): lane t of a subgroup loads key (or
// query) t of each block of 8, and subgroupBroadcast from a constant lane hands it to the others,
// about one instruction per value. Lanes with a subgroup id >= 8 load but are never read from.
enable subgroups;
//!include attention_kernels.wgsl

var<private> LANE: u32;

fn lane_id() -> u32 { return LANE; }

// Element t: lane t's m.
fn lanes_chunk(m: Chunk) -> Chunks8 {
  return Chunks8(
    Chunk(subgroupBroadcast(m[0], 0u), subgroupBroadcast(m[1], 0u), subgroupBroadcast(m[2], 0u), subgroupBroadcast(m[3], 0u)),
    Chunk(subgroupBroadcast(m[0], 1u), subgroupBroadcast(m[1], 1u), subgroupBroadcast(m[2], 1u), subgroupBroadcast(m[3], 1u)),
    Chunk(subgroupBroadcast(m[0], 2u), subgroupBroadcast(m[1], 2u), subgroupBroadcast(m[2], 2u), subgroupBroadcast(m[3], 2u)),
    Chunk(subgroupBroadcast(m[0], 3u), subgroupBroadcast(m[1], 3u), subgroupBroadcast(m[2], 3u), subgroupBroadcast(m[3], 3u)),
    Chunk(subgroupBroadcast(m[0], 4u), subgroupBroadcast(m[1], 4u), subgroupBroadcast(m[2], 4u), subgroupBroadcast(m[3], 4u)),
    Chunk(subgroupBroadcast(m[0], 5u), subgroupBroadcast(m[1], 5u), subgroupBroadcast(m[2], 5u), subgroupBroadcast(m[3], 5u)),
    Chunk(subgroupBroadcast(m[0], 6u), subgroupBroadcast(m[1], 6u), subgroupBroadcast(m[2], 6u), subgroupBroadcast(m[3], 6u)),
    Chunk(subgroupBroadcast(m[0], 7u), subgroupBroadcast(m[1], 7u), subgroupBroadcast(m[2], 7u), subgroupBroadcast(m[3], 7u)));
}

fn lanes_vec4(x: vec4<f32>) -> array<vec4<f32>, 8> {
  return array<vec4<f32>, 8>(
    subgroupBroadcast(x, 0u), subgroupBroadcast(x, 1u), subgroupBroadcast(x, 2u), subgroupBroadcast(x, 3u),
    subgroupBroadcast(x, 4u), subgroupBroadcast(x, 5u), subgroupBroadcast(x, 6u), subgroupBroadcast(x, 7u));
}

@compute @workgroup_size(WG)
fn forward(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  LANE = lane;
  forward_body(lid, wid);
}

@compute @workgroup_size(WG)
fn backward_q(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  LANE = lane;
  backward_q_body(lid, wid);
}

@compute @workgroup_size(WG)
fn backward_kv(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  LANE = lane;
  backward_kv_body(lid, wid);
}
