import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidy, keep, memory, ops } from '../src/node.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';

beforeAll(gpu);

describe('buffer pool and scopes', () => {
  it('100 repeated scoped steps leave live tensors, bytes in use and pooled bytes flat', async () => {
    const w = keep(tensor(uniform(64 * 64, 1), [64, 64]));
    const step = () => tidy(() => {
      const x = tensor(uniform(64 * 64, 2), [64, 64]);
      const h = ops.tanh(ops.add(ops.mul(x, w), x));
      return ops.sum(ops.transpose(h), { axis: 0 });
    });
    const first = step();
    await first.data();
    first.dispose();
    const warm = memory();
    for (let i = 0; i < 100; i++) {
      const out = step();
      if (i % 10 === 0) await out.data();
      out.dispose();
    }
    const after = memory();
    expect(after.liveTensors).toBe(warm.liveTensors);
    expect(after.bytesInUse).toBe(warm.bytesInUse);
    expect(after.bytesPooled).toBe(warm.bytesPooled);
    expect(after.buffersCreated).toBe(warm.buffersCreated);
  });

  it('tidy keeps what it returns (nested in arrays and objects) and disposes the rest', () => {
    const before = memory().liveTensors;
    const { a, list } = tidy(() => {
      const x = tensor([1, 2, 3]);
      const y = ops.exp(x);
      ops.neg(y);
      return { a: y, list: [ops.abs(x)] };
    });
    expect(memory().liveTensors).toBe(before + 2);
    expect(a.disposed || list[0].disposed).toBe(false);
    a.dispose();
    list[0].dispose();
    expect(memory().liveTensors).toBe(before);
  });

  it('nested scopes hand results to the parent scope', () => {
    const before = memory().liveTensors;
    tidy(() => {
      const inner = tidy(() => ops.exp(tensor([1])));
      expect(inner.disposed).toBe(false);
      return null;
    });
    expect(memory().liveTensors).toBe(before);
  });

  it('size classes bound the waste of a reused buffer to 25%', async () => {
    const { sizeClass } = await import('../src/gpu/pool.ts');
    for (const bytes of [1, 255, 256, 257, 1000, 4096, 4097, 93_763_584, 123_456_789]) {
      const c = sizeClass(bytes);
      expect(c).toBeGreaterThanOrEqual(bytes);
      if (bytes > 256) expect(c / bytes).toBeLessThanOrEqual(1.25);
    }
  });
});
