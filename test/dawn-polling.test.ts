// init() throttles Dawn's polling for the engine's own waits without changing any global: user code
// (and other WebGPU libraries in the process) see the original setImmediate before, during and after
// a wait, and JS callbacks still run (src/gpu/dawn.node.ts, withThrottledPolling).
import { describe, expect, it } from 'vitest';
import { engine, ops, tensor } from '../src/node.ts';
import { gpu } from './util/gpu.ts';

describe('Dawn polling', () => {
  it('is throttled inside the engine only: the global setImmediate is never left replaced', async () => {
    const original = globalThis.setImmediate;
    await gpu();
    if (engine().ctx.report.software) expect(engine().ctx.wrapWait).toBeDefined();
    const seen: (typeof setImmediate)[] = [];
    let immediates = 0;
    const x = tensor([1, 2, 3]);
    for (let i = 0; i < 20; i++) {
      const y = ops.add(x, x);
      // User code that runs while the download is pending sees the original, and its callbacks run.
      const probe = setInterval(() => {
        seen.push(globalThis.setImmediate);
        setImmediate(() => immediates++);
      }, 0);
      expect(Array.from(await y.data())).toEqual([2, 4, 6]);
      clearInterval(probe);
      seen.push(globalThis.setImmediate);
      y.dispose();
    }
    await engine().sync();
    await new Promise((r) => setTimeout(r, 5));
    x.dispose();
    expect(seen.length).toBeGreaterThanOrEqual(20);
    expect(seen.every((f) => f === original)).toBe(true);
    expect(globalThis.setImmediate).toBe(original);
    expect(immediates).toBeGreaterThan(0);
  });
});
