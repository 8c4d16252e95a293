// Runs in its own process (vitest isolates files): it destroys the device on purpose.
import { describe, expect, it } from 'vitest';
import { init, tensor, ops, GpuError } from '../src/node.ts';
import { disposeEngine } from '../src/gpu/runtime.ts';

describe('device loss', () => {
  it('becomes a JS error naming the last kernel, and init() gives a fresh device', async () => {
    const e = await init();
    const x = tensor([1, 2, 3]);
    await ops.exp(x).data();
    e.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    let err: unknown = null;
    try {
      await ops.neg(x).data();
    } catch (caught) {
      err = caught;
    }
    expect(err).toBeInstanceOf(GpuError);
    expect((err as Error).message).toMatch(/GPU device was lost \(destroyed: .*; last kernel 'unary'\)/);
    disposeEngine();
    const fresh = await init();
    expect(fresh).not.toBe(e);
    expect(Array.from(await tensor([4]).data())).toEqual([4]);
  });
});
