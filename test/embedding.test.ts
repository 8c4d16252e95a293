import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidy } from '../src/node.ts';
import { GUARD_SLOTS } from '../src/gpu/guard.ts';
import { embedding, embeddingBackward, gatherRows, gatherRowsBackward, validateIds } from '../src/kernels/embedding.ts';
import { embeddingBackwardRef, embeddingRef, gatherRowsBackwardRef, gatherRowsRef } from './reference/embedding.ts';
import { numericVjp } from './util/gradcheck.ts';
import { gpu } from './util/gpu.ts';
import { randomInts, uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

const same = (a: ArrayLike<number> & { buffer: ArrayBufferLike }, b: ArrayLike<number> & { buffer: ArrayBufferLike }) =>
  Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

describe('embedding', () => {
  for (const [V, C] of [[1, 1], [7, 3], [129, 8], [513, 129], [1000, 128]] as const) {
    it(`gather and scatter-add match float64, V = ${V}, C = ${C}`, async () => {
      for (const [B, S] of [[1, 1], [3, 7], [2, 300]]) {
        const table = uniform(V * C, V + C);
        const ids = randomInts(B * S, B + S, 0, V);
        ids[0] = 0;
        ids[ids.length - 1] = V - 1;
        const dy = uniform(B * S * C, B * S, -1, 1);
        const y = tidy(() => embedding(tensor(table, [V, C]), tensor(ids, [B, S])));
        expect(y.shape).toEqual([B, S, C]);
        assertClose(await y.data(), embeddingRef(table, C, ids), TOL.exact, `gather B=${B} S=${S}`);
        const d = await tidy(() => embeddingBackward(tensor(dy, [B, S, C]), tensor(ids, [B, S]), V)).data();
        // Up to 600 repeats of an id summed in f32 (in token order) against a float64 sum.
        assertClose(d, embeddingBackwardRef(dy, C, ids, V), TOL.reduction, `scatter B=${B} S=${S}`);
      }
    });
  }

  it('backward is bit-identical across runs with many repeated ids, and sums them in token order', async () => {
    const V = 50;
    const C = 64;
    const T = 4099; // spans several sort blocks
    const ids = randomInts(T, 3, 0, 4); // four ids repeated ~1000 times each
    ids[17] = V - 1;
    const dy = uniform(T * C, 4, -1, 1);
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await tidy(() => embeddingBackward(tensor(dy, [T, C]), tensor(ids), V)).data());
    expect(same(runs[0], runs[1]) && same(runs[1], runs[2])).toBe(true);
    // Token order in f32 is exactly what the kernel computes.
    const want = new Float32Array(V * C);
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) want[ids[t] * C + c] = Math.fround(want[ids[t] * C + c] + dy[t * C + c]);
    assertClose(runs[0], want, TOL.exact, 'token-order f32 sums');
  });

  it('backward agrees with central finite differences of the float64 lookup', async () => {
    const V = 5;
    const C = 3;
    const ids = new Int32Array([4, 0, 4, 2]);
    const table = uniform(V * C, 5);
    const dy = uniform(ids.length * C, 6);
    const [numeric] = numericVjp(([t]) => embeddingRef(t, C, ids), [table], dy);
    const d = await embeddingBackward(tensor(dy, [4, C]), ids, V).data();
    assertClose(d, numeric, { atol: 1e-6, rtol: 1e-5 }, 'dtable vs finite differences');
  });

  it('rejects out-of-range ids: host ids on the host, GPU ids at the next download (as NaN rows) and through validateIds', async () => {
    const table = tensor(uniform(4 * 4, 7), [4, 4]);
    expect(() => embedding(table, new Int32Array([0, 4]))).toThrow('embedding: ids [2] holds 4 at [1]; expected ids in [0, 4)');
    expect(() => embedding(table, new Int32Array([-1]))).toThrow('embedding: ids [1] holds -1 at [0]; expected ids in [0, 4)');
    const bad = tensor(new Int32Array([3, 0, 9, -2, 0, 9]), [2, 3]);
    const y = embedding(table, bad, { input: 'inputIds', rangeName: '(vocab_size)' });
    await expect(y.data()).rejects.toThrow(
      'embedding: inputIds [2, 3] holds 3 values outside the allowed range, the first at [0, 2]; they lie between -2 and 9; expected ids in [0, 4) (vocab_size)');
    // The error was raised once; what the kernel wrote is NaN rows at the bad ids, never a valid-looking row.
    const rows = await y.data();
    expect(Array.from(rows.slice(0, 8)).some(Number.isNaN)).toBe(false);
    expect(Array.from(rows.slice(8, 16)).every(Number.isNaN)).toBe(true);
    await expect(validateIds(bad, 4)).rejects.toThrow('validateIds: ids [2, 3] holds 3 values outside the allowed range, the first at [0, 2]');
    await expect(validateIds(tensor(new Int32Array([0, 3])), 4)).resolves.toBeUndefined();
    // One bad value at several places: that value is named exactly.
    const same = embedding(table, tensor(new Int32Array([5, 1, 5])));
    await expect(same.data()).rejects.toThrow('embedding: ids [3] holds 5 at [0] (and at 1 more position); expected ids in [0, 4)');
    // The backward drops the bad tokens' gradients.
    const flat = tensor(new Int32Array([3, 0, 9, -2]));
    const d = await embeddingBackward(tensor(new Float32Array(16).fill(1), [4, 4]), flat, 4).data();
    assertClose(d, [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1], TOL.exact, 'bad ids dropped');
  });

  it('reports a bad id of an earlier launch at whichever download comes next, and only once', async () => {
    const table = tensor(uniform(4 * 4, 3), [4, 4]);
    embedding(table, tensor(new Int32Array([1, 4])));
    const unrelated = tensor([1, 2, 3]);
    await expect(unrelated.data()).rejects.toThrow('embedding: ids [2] holds 4 at [1]');
    expect(Array.from(await unrelated.data())).toEqual([1, 2, 3]);
  });

  it('keeps reporting when more launches are guarded than the buffer has slots', async () => {
    const table = tensor(uniform(4 * 4, 5), [4, 4]);
    const good = tensor(new Int32Array([0, 1, 2, 3]));
    const outs = [];
    for (let i = 0; i < GUARD_SLOTS + 7; i++) outs.push(embedding(table, good));
    embedding(table, tensor(new Int32Array([2, 2, -7])));
    await expect(outs[0].data()).rejects.toThrow('embedding: ids [3] holds -7 at [2]');
    // An early bad launch, followed by enough good ones to fill the buffer again, is not lost.
    embedding(table, tensor(new Int32Array([8])));
    for (let i = 0; i < GUARD_SLOTS + 7; i++) outs.push(embedding(table, good));
    await expect(outs[0].data()).rejects.toThrow('embedding: ids [1] holds 8 at [0]');
    for (const o of outs) o.dispose();
  });

  it('names the op and shapes on bad arguments', () => {
    const table = tensor(new Float32Array(8), [4, 2]);
    expect(() => embedding(tensor(new Float32Array(8)), new Int32Array([0]))).toThrow('embedding: table must be (V, C), got shape [8]');
    expect(() => embedding(table, tensor([0, 1]))).toThrow('embedding: expected i32 input, got f32 [2]');
    expect(() => embeddingBackward(tensor(new Float32Array(6), [3, 2]), tensor(new Int32Array(2)), 4))
      .toThrow("embeddingBackward: dy [3, 2] must be ids' shape [2] plus a channel axis");
  });
});

describe('gatherRows', () => {
  for (const [B, S, C, P] of [[1, 1, 1, 1], [3, 7, 5, 2], [2, 129, 128, 20], [3, 33, 12, 40]] as const) {
    it(`gather and backward match float64, B=${B} S=${S} C=${C} P=${P}`, async () => {
      const x = uniform(B * S * C, S + C);
      const positions = randomInts(B * P, P, 0, S);
      positions[0] = 0;
      positions[positions.length - 1] = S - 1;
      if (P > 3) positions[1] = positions[2] = positions[3]; // repeats within a row
      const dy = uniform(B * P * C, B + P);
      const y = tidy(() => gatherRows(tensor(x, [B, S, C]), tensor(positions, [B, P])));
      expect(y.shape).toEqual([B, P, C]);
      assertClose(await y.data(), gatherRowsRef(x, B, S, C, positions), TOL.exact, 'gatherRows');
      const dx = tidy(() => gatherRowsBackward(tensor(dy, [B, P, C]), tensor(positions, [B, P]), S));
      expect(dx.shape).toEqual([B, S, C]);
      const got = await dx.data();
      assertClose(got, gatherRowsBackwardRef(dy, B, S, C, positions), TOL.reduction, 'gatherRowsBackward');
      const again = await tidy(() => gatherRowsBackward(tensor(dy, [B, P, C]), positions, S)).data();
      expect(same(got, again)).toBe(true);
    });
  }

  it('rejects positions out of [0, S) with the op name', () => {
    const x = tensor(new Float32Array(2 * 3 * 4), [2, 3, 4]);
    expect(() => gatherRows(x, new Int32Array([0, 3]))).toThrow('gatherRows: positions [2, 1] holds 3 at [1, 0]; expected positions in [0, 3) (the sequence length)');
    expect(() => gatherRows(x, tensor(new Int32Array(3), [3, 1], 'i32'))).toThrow('gatherRows: positions must be (B, P) with B = 2, got shape [3, 1]');
  });
});
