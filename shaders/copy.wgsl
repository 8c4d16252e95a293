// Copies 32-bit words: a dtype-agnostic tensor copy. vec4s of words in a grid-stride loop over
// whole buffers (pool buffers are multiples of 16 bytes): the last vec4 copies padding too.
struct Params { n4: u32, stride: u32 }   // vec4s to copy; invocations in the launch
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<u32>>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < p.n4; i += p.stride) { y[i] = x[i]; }
}
