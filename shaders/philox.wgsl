// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random
// numbers: as easy as 1, 2, 3" (SC'11), as specified by Random123 (philox4x32_R with R = 10).
// A 128-bit counter and a 64-bit key give four independent uniform u32 words; nothing is stored,
// so a backward pass regenerates the exact mask of its forward from (seed, element coordinates).
// Checked bit for bit against Random123's known-answer vectors through test/reference/dropout.ts.
//
// Streams used by this library (the fourth counter word keeps them apart for the same seed):
//   dropout:   counter (index / 4, 0, 0, PHILOX_DROPOUT), word index % 4 for element `index`
//   attention: counter (j / 2, i / 2, b * H + h, PHILOX_ATTENTION), word (i % 2) * 2 + j % 2
//              for query i, key j of head h in batch b
// The key is the seed: (low 32 bits, high 32 bits).

const PHILOX_M0 = 0xD2511F53u;
const PHILOX_M1 = 0xCD9E8D57u;
const PHILOX_W0 = 0x9E3779B9u;
const PHILOX_W1 = 0xBB67AE85u;
const PHILOX_DROPOUT = 0x64726f70u;   // "drop"
const PHILOX_ATTENTION = 0x6174746eu; // "attn"

// High 32 bits of the 64-bit product a * b, from 16-bit halves (WGSL has no 64-bit integers).
fn philox_mulhi(a: u32, b: u32) -> u32 {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let mid0 = a0 * b1;
  let mid1 = a1 * b0;
  let carry = (((a0 * b0) >> 16u) + (mid0 & 0xffffu) + (mid1 & 0xffffu)) >> 16u;
  return a1 * b1 + (mid0 >> 16u) + (mid1 >> 16u) + carry;
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var x = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let hi0 = philox_mulhi(PHILOX_M0, x.x);
    let hi1 = philox_mulhi(PHILOX_M1, x.z);
    x = vec4<u32>(hi1 ^ x.y ^ k.x, PHILOX_M1 * x.z, hi0 ^ x.w ^ k.y, PHILOX_M0 * x.x);
    k += vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return x;
}

// Inverted-dropout factors for four words: 0 where the word falls below `threshold`
// (= round(rate * 2^32), so P(drop) = threshold / 2^32), `scale` = 1 / (1 - rate) elsewhere.
fn philox_keep4(words: vec4<u32>, threshold: u32, scale: f32) -> vec4<f32> {
  return select(vec4<f32>(scale), vec4<f32>(0.0), words < vec4<u32>(threshold));
}
