// The metric kernels (shaders/metrics.wgsl) against float64 references: argmax with ties, NaN
// and -Infinity rows in every row layout; accuracy and weighted-mean sums accumulated in place.
import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidy } from '../src/node.ts';
import type { RowLayout } from '../src/kernels/launch.ts';
import { accumulateAccuracy, accumulateBinaryAccuracy, accumulateMean, argmax, metricSums } from '../src/kernels/metrics.ts';
import { accuracySumsRef, argmaxRef } from './reference/metrics.ts';
import { gpu } from './util/gpu.ts';
import { randomInts, uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

const LAYOUTS: (Partial<RowLayout> | undefined)[] = [undefined, { wg: 64, tpr: 32 }, { wg: 256, tpr: 256 }, { wg: 16, tpr: 1 }];

/** Rows with ties, NaNs, -Infinity and +-1000 planted among uniform values. */
function awkward(rows: number, V: number, seed: number): Float32Array {
  const x = uniform(rows * V, seed, -3, 3);
  for (let r = 0; r < rows; r++) {
    const at = (c: number) => r * V + (c % V);
    switch (r % 6) {
      case 1: x[at(2)] = 1000; x[at(5)] = 1000; break;                      // tie: first wins
      case 2: x[at(3)] = NaN; x[at(7)] = NaN; x[at(0)] = 1000; break;       // first NaN wins
      case 3: x.fill(-Infinity, r * V, (r + 1) * V); break;                  // all -inf: index 0
      case 4: x[at(V - 1)] = 1000; break;                                    // last column
      case 5: x.fill(0.5, r * V, (r + 1) * V); break;                        // constant row
    }
  }
  return x;
}

describe('argmax', () => {
  for (const [rows, V] of [[1, 1], [7, 3], [37, 129], [6, 513], [3, 30522]]) {
    it(`matches the float64 reference, ${rows} x ${V}`, async () => {
      const x = awkward(rows, V, rows * 31 + V);
      for (const layout of LAYOUTS) {
        const got = await tidy(() => argmax(tensor(x, [rows, V]), { layout })).data();
        assertClose(got, argmaxRef(x, V), TOL.exact, `${rows}x${V} ${JSON.stringify(layout)}`);
      }
    });
  }

  it('reduces the last axis of any rank and rejects empty rows', async () => {
    const x = uniform(2 * 3 * 5, 9);
    const idx = tidy(() => argmax(tensor(x, [2, 3, 5])));
    expect(idx.shape).toEqual([2, 3]);
    expect(idx.dtype).toBe('i32');
    assertClose(await idx.data(), argmaxRef(x, 5), TOL.exact, 'rank 3');
    idx.dispose();
    expect(() => tidy(() => argmax(tensor(new Float32Array(0), [2, 0])))).toThrow(/argmax: the last axis of \[2, 0\] is empty/);
  });
});

describe('accuracy and mean sums', () => {
  it('sparse accuracy: weighted, -100 ignored, accumulated over calls', async () => {
    const [N, V] = [41, 9];
    const x = awkward(N, V, 5);
    const labels = randomInts(N, 6, 0, V);
    const pred = argmaxRef(x, V);
    for (let i = 0; i < N; i += 3) labels[i] = pred[i]; // plenty of hits
    for (let i = 2; i < N; i += 7) labels[i] = -100;
    const weights = uniform(N, 7, 0, 2);
    const sums = metricSums();
    tidy(() => {
      const [lx, ll, lw] = [tensor(x, [N, V]), tensor(labels), tensor(weights)];
      accumulateAccuracy(sums, lx, ll);
      accumulateAccuracy(sums, lx, ll, { weights: lw });
    });
    const a = accuracySumsRef(pred, labels);
    const b = accuracySumsRef(pred, labels, { weights });
    assertClose(await sums.data(), [a[0] + b[0], a[1] + b[1]], TOL.reduction, 'sums');
    sums.dispose();
  });

  it('binary accuracy decides logit > 0', async () => {
    const logits = Float32Array.from([2, -1, 0, 0.5, -3, 1e-30, NaN]);
    const labels = Int32Array.from([1, 0, 0, 0, 1, 1, -100]);
    const sums = metricSums();
    tidy(() => accumulateBinaryAccuracy(sums, tensor(logits, [7, 1]), tensor(labels)));
    expect(Array.from(await sums.data())).toEqual([4, 6]); // 2 > 0, -1, 0 (not > 0), 1e-30 > 0
    sums.dispose();
  });

  it('weighted mean sums add value * weight and weight', async () => {
    const sums = metricSums();
    tidy(() => {
      accumulateMean(sums, tensor([2.5], []), 4);
      accumulateMean(sums, tensor([1], []), 0.5);
    });
    expect(Array.from(await sums.data())).toEqual([10.5, 4.5]);
    expect(() => accumulateMean(sums, sums, 1)).toThrow(/accumulateMean: value must be a scalar/);
    expect(() => tidy(() => accumulateMean(sums, tensor([1], []), -1))).toThrow(/weight must be a finite number >= 0/);
    sums.dispose();
  });

  it('names shapes in errors', () => {
    const sums = metricSums();
    expect(() => tidy(() => accumulateAccuracy(sums, tensor(new Float32Array(12), [4, 3]), tensor(Int32Array.of(1, 2, 3))))).toThrow(
      /accumulateAccuracy: labels \[3\] must have 4 entries \(one per row of logits \[4, 3\]\)/,
    );
    expect(() => tidy(() => accumulateBinaryAccuracy(sums, tensor(new Float32Array(8), [4, 2]), tensor(new Int32Array(4))))).toThrow(
      /logits must be \(N\) or \(N, 1\), got shape \[4, 2\]/,
    );
    sums.dispose();
  });
});
