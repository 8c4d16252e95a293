// Runs inside Chromium: the browser bundle's public API end to end, reporting back through window.
import { init, ops, tensor, tidy, memory } from '../../src/browser.ts';

declare global {
  interface Window { result?: unknown; error?: string }
}

try {
  const gpu = await init();
  const sums = tidy(() => ops.sum(ops.exp(ops.mul(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([0.5, -1, 2]))), { axis: 1 }));
  window.result = { adapter: gpu.adapter, sums: Array.from(await sums.data()), memory: memory() };
} catch (e) {
  window.error = String((e as Error).stack ?? e);
}
