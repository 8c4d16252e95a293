// Reports of bad values the host never saw (src/gpu/guard.ts): a kernel that finds an id, label,
// position or mask value out of range records it in its launch's slot of the engine's guard
// buffer, and the next download raises an error naming the op, the input and the element.
// All four words are 0 when nothing was found. Include with `//!include guard.wgsl`.

struct GuardSlot {
  count: atomic<u32>,   // bad elements
  first: atomic<u32>,   // 0xffffffff - the smallest bad flat index
  vmax: atomic<u32>,    // largest bad value, as an order-preserving key of its i32 bits
  vmin: atomic<u32>,    // ~key of the smallest
}
@group(0) @binding(20) var<storage, read_write> guard: array<GuardSlot>;

// (Names must not collide with any includer's bindings: reflection does not scope names.)
fn guard_report(guard_at: u32, guard_index: u32, guard_bits: u32) {
  let key = guard_bits ^ 0x80000000u;
  atomicAdd(&guard[guard_at].count, 1u);
  atomicMax(&guard[guard_at].first, 0xffffffffu - guard_index);
  atomicMax(&guard[guard_at].vmax, key);
  atomicMax(&guard[guard_at].vmin, ~key);
}
