import { beforeAll, describe, expect, it } from 'vitest';
import { engine, tensor, ops, memory } from '../src/node.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';

beforeAll(gpu);

describe('engine.profile', () => {
  it('times every dispatch by kernel, including work recorded around a download', async () => {
    const e = engine();
    const a = tensor(uniform(128 * 128, 1), [128, 128]);
    const b = tensor(uniform(128 * 128, 2), [128, 128]);
    let read = 0;
    const times = await e.profile(async () => {
      const c = ops.matmul(a, b);
      const d = ops.matmul(c, b);
      read = (await ops.sum(d).data())[0]; // a download in the middle flushes; the profile goes on
      const f = ops.exp(ops.neg(d));
      await f.data();
      for (const t of [c, d, f]) t.dispose();
    });
    expect(Number.isFinite(read)).toBe(true);
    if (!times) return; // no timestamp-query on this adapter: nothing to check
    const names = times.map((t) => t.kernel);
    const matmul = times.filter((t) => /matmul/.test(t.kernel));
    expect(matmul.reduce((s, t) => s + t.count, 0)).toBe(2);
    expect(names).toContain('unary'); // exp and neg: the elementwise shader's label
    for (const t of times) expect(t.ms).toBeGreaterThanOrEqual(0);
    // Sorted most expensive first.
    expect(times.map((t) => t.ms)).toEqual([...times.map((t) => t.ms)].sort((x, y) => y - x));
    // After a profile, dispatches share passes again and a second profile starts clean.
    const again = await e.profile(() => { ops.exp(a).dispose(); });
    expect(again!.reduce((s, t) => s + t.count, 0)).toBe(1);
    a.dispose();
    b.dispose();
  });

  it('a failing record leaves no profile running', async () => {
    const e = engine();
    await expect(e.profile(() => { throw new Error('boom'); })).rejects.toThrow('boom');
    const t = await e.profile(() => { ops.exp(tensor([1, 2])).dispose(); });
    if (t) expect(t.length).toBe(1);
  });
});

describe('peak memory', () => {
  it('peakBytesInUse covers a transient allocation and resetPeakMemory starts again from what is in use', async () => {
    const e = engine();
    e.resetPeakMemory();
    const start = memory();
    expect(start.peakBytesInUse).toBe(start.bytesInUse);
    const big = tensor(new Float32Array(1 << 18), [1 << 18]); // 1 MiB
    big.dispose();
    const after = memory();
    expect(after.bytesInUse).toBe(start.bytesInUse);
    expect(after.peakBytesInUse).toBeGreaterThanOrEqual(start.bytesInUse + (1 << 20));
    e.resetPeakMemory();
    expect(memory().peakBytesInUse).toBe(start.bytesInUse);
  });
});
