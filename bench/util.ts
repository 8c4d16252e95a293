// Helpers for bench/cases/*.ts: inputs, and checks of a few rows against the float64 references in
// test/reference (the full tensors of the benchmark shapes are too big for a float64 pass).
import { Tensor } from '../src/gpu/tensor.ts';
import { mismatchReport, type Tolerance } from '../test/util/tolerance.ts';
import { uniform } from '../test/util/random.ts';

export { uniform };

/** Throws with the tolerance report when `got` is not within `tol` of `want`. */
export function expectClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance): void {
  const report = mismatchReport(got, want, tol);
  if (report) throw new Error(`${label}: ${report}`);
}

/** Rows [0, k) and [rows - k, rows) of a (rows, C) host array, as one (2k, C) array. */
export function edgeRows(a: ArrayLike<number>, rows: number, C: number, k = 2): Float32Array {
  const n = Math.min(k, rows);
  const out = new Float32Array(2 * n * C);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < C; c++) {
      out[r * C + c] = a[r * C + c];
      out[(n + r) * C + c] = a[(rows - n + r) * C + c];
    }
  }
  return out;
}

const release = (out: Tensor | object) => (out instanceof Tensor ? [out] : (Object.values(out) as Tensor[])).forEach((t) => t.dispose());

/**
 * The usual `ours()` of a case: `launch()` (a tensor, or a record of them like `{ y, mean, rstd }`)
 * once now and again at every run(), which first disposes the previous outputs; check() passes the
 * latest outputs to `check`; dispose() releases them and `inputs`.
 */
export function launches<T extends Tensor | Record<keyof T, Tensor>>(inputs: Tensor[], launch: () => T, check: (out: T) => Promise<void>) {
  let out = launch();
  return {
    run() {
      release(out);
      out = launch();
    },
    check: () => check(out),
    dispose() {
      release(out);
      for (const t of inputs) t.dispose();
    },
  };
}

/**
 * Throttles Dawn's polling for the whole process, as init() does for the engine's own waits only:
 * benchmarks install it so that tfjs-webgpu, on the same Dawn instance, waits the same way we do
 * (bench/dawn-polling.ts measures the three ways). Returns the uninstaller.
 */
export function throttleDawnPollingGlobally(): () => void {
  const real = globalThis.setImmediate;
  const isNative = (fn: unknown) => typeof fn === 'function' && Function.prototype.toString.call(fn).includes('[native code]');
  globalThis.setImmediate = Object.assign((cb: (...a: unknown[]) => void, ...a: unknown[]) => (isNative(cb) ? setTimeout(cb, 0, ...a) : real(cb, ...a)), real) as unknown as typeof setImmediate;
  return () => {
    globalThis.setImmediate = real;
  };
}
