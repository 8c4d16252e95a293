import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, ops } from '../src/node.ts';
import type { DType } from '../src/gpu/dtype.ts';
import { castRef } from './reference/fill.ts';
import { gpu } from './util/gpu.ts';
import { randomInts, uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

const DTYPES: DType[] = ['f32', 'i32', 'u32', 'f16'];

describe('fill, copy, cast', () => {
  for (const dtype of DTYPES) {
    it(`full/zeros/ones of ${dtype} at awkward sizes`, async () => {
      for (const n of [1, 7, 127, 129, 513, 70_001]) {
        const value = dtype === 'u32' ? 7 : dtype === 'f16' ? -2.5 : -3;
        expect((await ops.full([n], value, dtype).data()).every((v) => v === value), `${dtype} ${n}`).toBe(true);
        expect((await ops.zeros([n], dtype).data()).every((v) => v === 0)).toBe(true);
        expect((await ops.ones([n], dtype).data()).every((v) => v === 1)).toBe(true);
      }
    });
  }

  it('copy gives an independent buffer with the same bits', async () => {
    const x = tensor(randomInts(513, 3, -1000, 1000));
    const y = ops.copy(x);
    expect(y.buffer).not.toBe(x.buffer);
    expect(Array.from(await y.data())).toEqual(Array.from(await x.data()));
    ops.fill(x, 0);
    expect((await y.data())[5]).not.toBe(0);
  });

  const sources: Record<DType, () => number[]> = {
    f32: () => [...uniform(129, 5, -3e9, 3e9), 2.5, -2.5, 0.99, -0.99, NaN, Infinity, -Infinity, 65519, 1e-8],
    f16: () => [...uniform(127, 6, -60000, 60000)].map((v) => castRef(v, 'f32', 'f16')),
    i32: () => [...randomInts(129, 7, -2147483648, 2147483647), 16777217, -1, 0],
    u32: () => [...randomInts(129, 8, 0, 2147483647)].map((v) => v * 2 + 1),
  };

  for (const from of DTYPES) {
    for (const to of DTYPES) {
      it(`cast ${from} -> ${to}`, async () => {
        const values = sources[from]();
        const x = tensor(values, [values.length], from);
        const got = await ops.cast(x, to).data();
        const want = values.map((v) => castRef(v, from, to));
        assertClose(got, want, TOL.exact, `${from}->${to}`);
      });
    }
  }

  it('copyInto names both tensors when they differ', () => {
    expect(() => ops.copyInto(tensor([1, 2]), tensor([1, 2, 3]))).toThrow('copyInto: source [2] f32 and destination [3] f32 differ');
  });
});
