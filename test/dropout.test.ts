import { beforeAll, describe, expect, it } from 'vitest';
import { ops, tensor, tidy } from '../src/node.ts';
import { dropout, dropoutBackward } from '../src/kernels/dropout.ts';
import { dropoutMaskRef, dropoutRef, philox4x32_10 } from './reference/dropout.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

describe('Philox4x32-10 reference', () => {
  // Random123 tests/kat_vectors, "philox4x32 10" lines: counter, key -> output.
  const KAT: [number[], number[], number[]][] = [
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
  ];
  it('matches the Random123 known-answer vectors', () => {
    for (const [ctr, key, want] of KAT) expect([...philox4x32_10(ctr, key)]).toEqual(want);
  });
});

describe('dropout', () => {
  it('drops exactly the elements the reference generator predicts, at awkward sizes', async () => {
    for (const n of [1, 7, 127, 129, 513, 70_001]) {
      for (const [rate, seed] of [[0.1, 1], [0.5, 2 ** 40 + 7]] as const) {
        const x = uniform(n, n, 0.5, 2);
        const got = await tidy(() => dropout(tensor(x), rate, seed)).data();
        const keep = dropoutMaskRef(n, rate, seed);
        const scale = Math.fround(1 / (1 - rate));
        const want = Array.from(x, (v, i) => (keep[i] ? Math.fround(v * scale) : 0));
        assertClose(got, want, TOL.exact, `n=${n} rate=${rate}`);
        assertClose(got, dropoutRef(x, rate, seed), TOL.arithmetic, `float64 n=${n}`);
      }
    }
  });

  it('drops a fraction within binomial bounds of the rate and scales kept values by 1/(1-rate)', async () => {
    const n = 1_000_000;
    for (const rate of [0.1, 0.5, 0.9]) {
      const y = await tidy(() => dropout(ops.full([n], 1), rate, 12345)).data();
      let dropped = 0;
      let badScale = 0;
      const scale = Math.fround(1 / (1 - rate));
      for (let i = 0; i < n; i++) {
        if (y[i] === 0) dropped++;
        else if (y[i] !== scale) badScale++;
      }
      expect(badScale).toBe(0);
      const sd = Math.sqrt((rate * (1 - rate)) / n);
      expect(Math.abs(dropped / n - rate)).toBeLessThan(6 * sd);
    }
  });

  it('is reproducible from its seed, and different seeds give different masks', async () => {
    const x = tensor(uniform(4099, 3));
    const a = await dropout(x, 0.3, 99).data();
    const b = await dropout(x, 0.3, 99).data();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    for (const other of [100, 99 + 2 ** 32]) {
      const c = await dropout(x, 0.3, other).data();
      let differ = 0;
      for (let i = 0; i < a.length; i++) if ((a[i] === 0) !== (c[i] === 0)) differ++;
      expect(differ).toBeGreaterThan(4099 * 0.3);
    }
  });

  it('backward regenerates the forward mask', async () => {
    const n = 1001;
    const x = uniform(n, 4, 1, 2);
    const dy = uniform(n, 5, 1, 2);
    const y = await dropout(tensor(x), 0.25, 7).data();
    const dx = await dropoutBackward(tensor(dy), 0.25, 7).data();
    for (let i = 0; i < n; i++) expect(dx[i] === 0).toBe(y[i] === 0);
    assertClose(dx, dropoutRef(dy, 0.25, 7), TOL.arithmetic, 'dropoutBackward');
  });

  it('rate 0 is the identity and NaN stays NaN', async () => {
    const x = new Float32Array([1.5, -2, NaN, 1e30, 0]);
    assertClose(await dropout(tensor(x), 0, 1).data(), x, TOL.exact, 'rate 0');
    const y = await dropout(tensor(new Float32Array(64).fill(NaN)), 0.5, 1).data();
    expect(Array.from(y).every(Number.isNaN)).toBe(true);
  });

  it('rejects bad rates, seeds and dtypes with the op name', () => {
    const x = tensor(new Float32Array(4));
    expect(() => dropout(x, 1, 0)).toThrow('dropout: dropout rate must be in [0, 1), got 1');
    expect(() => dropout(x, -0.1, 0)).toThrow('rate must be in [0, 1)');
    expect(() => dropout(x, NaN, 0)).toThrow('rate must be in [0, 1)');
    expect(() => dropoutBackward(x, 0.1, -1)).toThrow('dropoutBackward: dropout seed must be an integer in [0, 2^53), got -1');
    expect(() => dropout(x, 0.1, 1.5)).toThrow('seed must be an integer');
    expect(() => dropout(tensor(new Int32Array(4)), 0.1, 1)).toThrow('dropout: expected f32 or f16 input, got i32 [4]');
  });
});
