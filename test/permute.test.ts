import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, ops } from '../src/node.ts';
import { permuteRef } from './reference/permute.ts';
import { gpu } from './util/gpu.ts';
import { randomInts, uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

describe('permute and transpose', () => {
  const cases: [number[], number[]][] = [
    [[7], [0]], [[127, 129], [1, 0]], [[1, 513], [1, 0]], [[3, 7, 5], [2, 0, 1]], [[2, 3, 4, 5], [0, 2, 1, 3]],
    [[3, 1, 4, 1, 5], [4, 3, 2, 1, 0]], [[2, 2, 2, 2, 2, 2, 2, 3], [7, 6, 5, 4, 3, 2, 1, 0]],
    // Axes that move together collapse before launch ([5, 7, 3, 4] -> [35, 12] -> [12, 35]); the identity is a copy.
    [[5, 7, 3, 4], [2, 3, 0, 1]], [[4, 7, 129], [0, 1, 2]], [[1, 1], [1, 0]], [[2, 1, 7, 5], [0, 1, 3, 2]],
  ];
  it('matches the reference for f32 and i32', async () => {
    for (const [shape, perm] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const xf = uniform(n, n);
      const xi = randomInts(n, n, -50, 50);
      const yf = ops.permute(tensor(xf, shape), perm);
      expect(yf.shape).toEqual(perm.map((p) => shape[p]));
      assertClose(await yf.data(), permuteRef(xf, shape, perm), TOL.exact, JSON.stringify([shape, perm]));
      assertClose(await ops.permute(tensor(xi, shape), perm).data(), permuteRef(xi, shape, perm), TOL.exact);
    }
  });

  it('transpose swaps the last two axes', async () => {
    const x = uniform(3 * 7 * 129, 1);
    const y = ops.transpose(tensor(x, [3, 7, 129]));
    expect(y.shape).toEqual([3, 129, 7]);
    assertClose(await y.data(), permuteRef(x, [3, 7, 129], [0, 2, 1]), TOL.exact);
  });

  it('a permutation that does not fit is an error naming the shape', () => {
    expect(() => ops.permute(tensor([1, 2, 3, 4], [2, 2]), [0, 0])).toThrow('permute: permutation [0, 0] does not fit a tensor of shape [2, 2]');
    expect(() => ops.transpose(tensor([1, 2]))).toThrow('transpose: needs rank >= 2, got shape [2]');
  });
});
