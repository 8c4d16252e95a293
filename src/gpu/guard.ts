// Bad values found on the GPU, reported without a stall. A kernel that reads ids, positions,
// labels or masks the host never saw (shaders/guard.wgsl) records the first out-of-range element in
// its slot of one small buffer. The engine copies the used slots out and clears them as part of the
// next download (or sync) that happens anyway, and that download then throws an OpError naming the
// op, the input, the element and the allowed range: a NaN loss is never returned as if valid.
//
// A slot is 4 words, all zero when nothing was found (so a clearBuffer resets it in stream order):
// count of bad elements, 0xffffffff - first bad index (atomicMax keeps the smallest index), and the
// largest and smallest bad value as order-preserving u32 keys.
import { OpError, shapeStr } from './errors.ts';
import { Usage } from './pool.ts';

/** What a guarded launch checks, to write the error if its slot fills. */
export interface GuardCheck {
  /** The op that read the values (`embedding`, `sparseCrossEntropy`, ...). */
  op: string;
  /** The input as the user knows it (`inputIds`, `labels`, `attentionMask`, ...). */
  input: string;
  /** Its shape, to turn the flat index into [row, column]. */
  shape: readonly number[];
  /** What was expected, e.g. `ids in [0, 30522) (vocab_size)`. */
  expected: string;
  /** How the recorded 32-bit values read: as i32 (default) or as f32 bits. */
  values?: 'i32' | 'f32';
  /** A hint for a value that looks like a known mistake. */
  hint?: (value: number) => string | undefined;
}

const SLOT_BYTES = 16;
export const GUARD_SLOTS = 512;

export class Guard {
  readonly buffer: GPUBuffer;
  private checks: GuardCheck[] = [];

  constructor(device: GPUDevice) {
    this.buffer = device.createBuffer({ label: 'guard', size: GUARD_SLOTS * SLOT_BYTES, usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST });
  }

  /** Slots handed out since the last harvest. */
  get used(): number {
    return this.checks.length;
  }

  get full(): boolean {
    return this.checks.length === GUARD_SLOTS;
  }

  /** A slot for one launch; the caller harvests first when the buffer is full. */
  slot(check: GuardCheck): number {
    if (this.full) throw new Error('guard: no free slot (harvest first)');
    this.checks.push(check);
    return this.checks.length - 1;
  }

  /** Hands the used slots' checks to a harvest and frees the slots for new launches. */
  take(): GuardCheck[] {
    const checks = this.checks;
    this.checks = [];
    return checks;
  }

  /** Bytes a harvest of these checks copies out. */
  static bytesOf(checks: readonly GuardCheck[]): number {
    return checks.length * SLOT_BYTES;
  }

  /**
   * Records into `encoder` a copy of the taken slots to `staging` and their reset; returns what to
   * do once the copy can be read (after the submit).
   */
  harvest(encoder: GPUCommandEncoder, staging: GPUBuffer, checks: GuardCheck[]): (words: Uint32Array) => OpError | null {
    const bytes = Guard.bytesOf(checks);
    encoder.copyBufferToBuffer(this.buffer, 0, staging, 0, bytes);
    encoder.clearBuffer(this.buffer, 0, bytes);
    return (words) => {
      for (let s = 0; s < checks.length; s++) {
        const count = words[s * 4];
        if (count) return guardError(checks[s], count, 0xffffffff - words[s * 4 + 1], fromKey(words[s * 4 + 2]), fromKey(~words[s * 4 + 3] >>> 0));
      }
      return null;
    };
  }

  destroy(): void {
    this.buffer.destroy();
  }
}

function fromKey(key: number): number {
  return (key ^ 0x80000000) | 0;
}

/** [row, column, ...] of a flat index into `shape`. */
export function unravel(index: number, shape: readonly number[]): number[] {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(shape[d] ? index % shape[d] : 0);
    index = shape[d] ? Math.floor(index / shape[d]) : 0;
  }
  return at;
}

function guardError(c: GuardCheck, count: number, first: number, max: number, min: number): OpError {
  const asValue = (v: number) => (c.values === 'f32' ? new Float32Array(new Int32Array([v]).buffer)[0] : v);
  const at = shapeStr(unravel(first, c.shape));
  const where = `${c.input} ${shapeStr(c.shape)}`;
  // One bad element, or several with one value: the value at the first is known exactly.
  const exact = count === 1 || min === max;
  const value = exact ? asValue(max) : undefined;
  let msg = exact
    ? `${where} holds ${value} at ${at}${count > 1 ? ` (and at ${count - 1} more position${count > 2 ? 's' : ''})` : ''}`
    : `${where} holds ${count} values outside the allowed range, the first at ${at}${c.values === 'f32' ? '' : `; they lie between ${min} and ${max}`}`;
  msg += `; expected ${c.expected}`;
  const hint = value !== undefined ? c.hint?.(value) : undefined;
  if (hint) msg += `. ${hint}`;
  return new OpError(c.op, msg);
}

/** The host-side twin of a guarded launch: the same error, from values the host holds. */
export function checkHost(c: GuardCheck, values: ArrayLike<number>, ok: (v: number) => boolean): void {
  let count = 0;
  let first = -1;
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (ok(v)) continue;
    if (count++ === 0) first = i;
    if (v > max) max = v;
    if (v < min) min = v;
  }
  // Host values are plain numbers: no bits to reinterpret.
  if (count) throw guardError({ ...c, values: 'i32' }, count, first, max, min);
}
