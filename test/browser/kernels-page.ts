// Runs inside Chromium (SwiftShader here: other limits and subgroup behaviour than lavapipe in
// Node): the kernel parity checks of test/util/kernel-checks.ts for every kernel class, reported
// back through window.kernels.
import { init } from '../../src/browser.ts';
import { checkClass, type KernelCheck } from '../util/kernel-checks.ts';

declare global {
  interface Window { kernels?: { adapter: string; checks: KernelCheck[] }; kernelsError?: string }
}

try {
  const e = await init();
  const checks: KernelCheck[] = [];
  for (const cls of ['software', 'hardware', 'portable'] as const) checks.push(...await checkClass(cls));
  window.kernels = { adapter: e.adapter, checks };
} catch (e) {
  window.kernelsError = String((e as Error).stack ?? e);
}
