import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, ops } from '../src/node.ts';
import { reduceRef } from './reference/reduce.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

const CASES: [number[], number[]][] = [
  [[1], [0]], [[7], [0]], [[513], [0]], [[127, 129], [1]], [[127, 129], [0]], [[3, 7, 5], [1]],
  [[3, 7, 5], [0, 2]], [[2, 3, 4, 5], [3]], [[2, 3, 4, 5], [0, 1, 2, 3]], [[1, 1, 1], [1]],
  [[100_003], [0]], [[3, 40_000], [1]],
];

describe('sum, mean, max match float64', () => {
  for (const op of ['sum', 'mean', 'max'] as const) {
    it(op, async () => {
      for (const [shape, axes] of CASES) {
        const n = shape.reduce((p, d) => p * d, 1);
        const x = uniform(n, n + axes.length);
        const ref = reduceRef(op, x, shape, axes);
        const y = ops.reduce(op, tensor(x, shape), { axis: axes });
        expect(y.shape).toEqual(ref.shape);
        assertClose(await y.data(), ref.out, op === 'max' ? TOL.exact : TOL.reduction, `${op} ${JSON.stringify([shape, axes])}`);
      }
    });
  }

  it('reduces every axis when none is given, and keeps dims on request', async () => {
    const x = uniform(7 * 129, 9);
    const all = ops.sum(tensor(x, [7, 129]));
    expect(all.shape).toEqual([]);
    assertClose(await all.data(), reduceRef('sum', x, [7, 129], [0, 1]).out, TOL.reduction);
    const kept = ops.max(tensor(x, [7, 129]), { axis: -1, keepDims: true });
    expect(kept.shape).toEqual([7, 1]);
    assertClose(await kept.data(), reduceRef('max', x, [7, 129], [1]).out, TOL.exact);
  });

  it('NaN propagates through sum and max', async () => {
    const x = tensor([1, NaN, 3, 4, 5, 6], [2, 3]);
    assertClose(await ops.max(x, { axis: 1 }).data(), [NaN, 6], TOL.exact);
    assertClose(await ops.sum(x, { axis: 0 }).data(), [5, NaN, 9], TOL.exact);
  });

  it('errors name the op and the axis', () => {
    expect(() => ops.sum(tensor([1, 2]), { axis: 2 })).toThrow('sum: axis 2 is out of range for rank 1');
    expect(() => ops.mean(tensor(new Float32Array(0), [3, 0]), { axis: 1 })).toThrow('mean: cannot reduce over axis 1 of length 0 in [3, 0]');
  });
});
