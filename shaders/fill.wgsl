// Writes one 32-bit pattern to every word of a buffer: fills any dtype (an f16 pattern holds two
// halves). vec4s of words in a grid-stride loop over the whole buffer (padding is filled too).
struct Params { n4: u32, stride: u32, bits: u32 }   // vec4s to fill; invocations in the launch
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<u32>>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < p.n4; i += p.stride) { y[i] = vec4(p.bits); }
}
