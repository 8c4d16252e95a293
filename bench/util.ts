// Helpers for bench/cases/*.ts: inputs, and checks of a few rows against the float64 references in
// test/reference (the full tensors of the benchmark shapes are too big for a float64 pass).
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

