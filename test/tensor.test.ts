import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, ops, memory } from '../src/node.ts';
import { f16BitsToF32, f32ToF16Bits } from '../src/gpu/dtype.ts';
import { gpu } from './util/gpu.ts';
import { rng } from './util/random.ts';

beforeAll(gpu);

const SIZES = [1, 3, 1000, 2 ** 20 + 3];

function randomWords(n: number, seed: number): Uint32Array {
  const r = rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 2 ** 32) >>> 0;
  // Special patterns up front: +-0, +-Inf, NaNs with payloads, a subnormal.
  const specials = [0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00001, 0xffbfffff, 0x00000001];
  for (let i = 0; i < Math.min(n, specials.length); i++) out[i] = specials[i];
  return out;
}

function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe('upload and download are bit-exact', () => {
  for (const n of SIZES) {
    it(`f32, i32, u32 at ${n} elements`, async () => {
      const words = randomWords(n, n);
      const f32 = new Float32Array(words.buffer);
      const i32 = new Int32Array(words.buffer);
      expect(sameBits(await tensor(f32).data(), f32)).toBe(true);
      expect(sameBits(await tensor(i32).data(), i32)).toBe(true);
      expect(sameBits(await tensor(words).data(), words)).toBe(true);
    });

    it(`f16 at ${n} elements`, async () => {
      const bits = new Uint16Array(randomWords(Math.ceil(n / 2), n + 1).buffer, 0, n);
      const back = await tensor(bits, [n], 'f16').data();
      const reencoded = Uint16Array.from(back, (v, i) => (Number.isNaN(v) ? bits[i] | 0x200 : f32ToF16Bits(v)));
      // Quiet-NaN bit aside, every half comes back exactly.
      const expected = Uint16Array.from(bits, (h) => ((h & 0x7c00) === 0x7c00 && h & 0x3ff ? h | 0x200 : h));
      expect(sameBits(reencoded, expected)).toBe(true);
    });
  }

  it('f16 uploads from f32 round to nearest even', async () => {
    const values = new Float32Array([1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65520, 2 ** -25, -0, 5.960464477539063e-8]);
    const got = await tensor(values, [values.length], 'f16').data();
    expect(Array.from(got)).toEqual([1, 1, 1 + 2 ** -9, 65504, Infinity, 0, -0, 5.960464477539063e-8]);
    expect(f16BitsToF32(0x3c00)).toBe(1);
  });
});

describe('tensors', () => {
  it('reshape is a view: no copy, and the buffer is freed with the last view', async () => {
    const before = memory();
    const t = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const v = t.reshape([3, -1]);
    expect(v.shape).toEqual([3, 2]);
    expect(v.buffer).toBe(t.buffer);
    t.dispose();
    expect(Array.from(await v.data())).toEqual([1, 2, 3, 4, 5, 6]);
    v.dispose();
    const after = memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.bytesInUse).toBe(before.bytesInUse);
  });

  it('names the shapes when a reshape cannot work', () => {
    expect(() => tensor([1, 2, 3, 4, 5, 6], [2, 3]).reshape([4, -1])).toThrow('reshape: cannot reshape [2, 3] to [4, -1]');
    expect(() => tensor([1, 2, 3], [3]).reshape([2, 2])).toThrow('cannot reshape [3] (3 elements) to [2, 2] (4 elements)');
  });

  it('refuses use after dispose with the tensor named', () => {
    const t = tensor([1, 2, 3]);
    t.dispose();
    expect(() => ops.exp(t)).toThrow(/tensor #\d+ \[3\] f32 was used after dispose\(\)/);
  });

  it('a value count that does not fill the shape is an error', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow('tensor: 3 values do not fill shape [2, 2] (4 elements)');
  });

  it('an upload into a reused buffer never changes what an earlier pending launch reads', async () => {
    // y = exp(x) is recorded but not submitted; x goes back to the pool and the next upload of
    // the same size gets its buffer. The pending launch must still see the old values.
    const x = tensor(new Float32Array(1000).fill(0));
    const y = ops.exp(x);
    const buffer = x.buffer;
    x.dispose();
    const z = tensor(new Float32Array(1000).fill(5));
    expect(z.buffer).toBe(buffer);
    const got = await y.data();
    expect(got.every((v) => v === 1)).toBe(true);
    expect((await z.data())[0]).toBe(5);
  });
});
