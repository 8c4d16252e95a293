// The safetensors reader and writer, against files this test writes byte by byte from the format
// description (https://github.com/huggingface/safetensors#format), not with the writer under test.
import { describe, expect, it } from 'vitest';
import { SafetensorsError, planSafetensors, readSafetensors, toFloat32, writeSafetensors } from '../src/io/safetensors.ts';

/** u64 little-endian header size, the header's UTF-8 bytes, then the data section. */
function fileFromSpec(headerJson: string, data: number[]): Uint8Array {
  const header = [...new TextEncoder().encode(headerJson)];
  const n = header.length;
  const size = [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff, 0, 0, 0, 0];
  return Uint8Array.from([...size, ...header, ...data]);
}

// Little-endian bytes written out by hand:
// 1.5f = 0x3FC00000, -2f = 0xC0000000 (F32); 1.0 = 0x3C00, -0.5 = 0xB800 (F16);
// 3.0 = 0x4040 (BF16 = top half of 0x40400000), -1.0 = 0xBF80 (BF16); 7 = 0x00000007 (I32).
const F32_BYTES = [0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0];
const F16_BYTES = [0x00, 0x3c, 0x00, 0xb8];
const BF16_BYTES = [0x40, 0x40, 0x80, 0xbf];
const I64_BYTES = [0x07, 0, 0, 0, 0, 0, 0, 0];

describe('reading a file written from the format description', () => {
  // Header padded with trailing spaces (allowed by the spec); tensors in an arbitrary order.
  const header = '{"__metadata__":{"format":"pt"},' +
    '"b.half":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},' +
    '"a.float":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},' +
    '"c.brain":{"dtype":"BF16","shape":[1,2],"data_offsets":[12,16]},' +
    '"d.ids":{"dtype":"I64","shape":[1],"data_offsets":[16,24]},' +
    '"e.empty":{"dtype":"F32","shape":[0,3],"data_offsets":[24,24]}}    ';
  const file = fileFromSpec(header, [...F32_BYTES, ...F16_BYTES, ...BF16_BYTES, ...I64_BYTES]);

  it('parses names, dtypes, shapes and metadata', () => {
    const st = readSafetensors(file);
    expect(st.metadata).toEqual({ format: 'pt' });
    expect([...st.tensors.keys()]).toEqual(['b.half', 'a.float', 'c.brain', 'd.ids', 'e.empty']);
    expect(st.tensors.get('a.float')).toMatchObject({ dtype: 'F32', shape: [2, 1], begin: 0, end: 8 });
    expect(Array.from(st.bytes('d.ids'))).toEqual(I64_BYTES);
  });

  it('converts F32, F16 and BF16 to the exact float32 values', () => {
    const st = readSafetensors(file);
    expect(Array.from(toFloat32(st, 'a.float'))).toEqual([1.5, -2]);
    expect(Array.from(toFloat32(st, 'b.half'))).toEqual([1, -0.5]);
    expect(Array.from(toFloat32(st, 'c.brain'))).toEqual([3, -1]);
    expect(toFloat32(st, 'e.empty').length).toBe(0);
    expect(() => toFloat32(st, 'd.ids')).toThrow(/'d.ids' is I64; only F32, F16, BF16 and F64/);
  });

  it('reads a file whose bytes sit at an odd offset of a larger buffer', () => {
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const st = readSafetensors(shifted.subarray(1));
    expect(Array.from(toFloat32(st, 'a.float'))).toEqual([1.5, -2]);
  });
});

describe('corrupt files are clear errors naming the tensor', () => {
  const good = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';

  it('a truncated data section', () => {
    expect(() => readSafetensors(fileFromSpec(good, F32_BYTES.slice(0, 6)), 'model.safetensors'))
      .toThrow("model.safetensors: tensor 'w': data_offsets end at byte 8 but the data section holds only 6 bytes (truncated file?)");
  });

  it('a truncated header, and a file shorter than the size field', () => {
    const f = fileFromSpec(good, F32_BYTES);
    expect(() => readSafetensors(f.subarray(0, 20))).toThrow(/header size field says \d+ bytes but only 12 follow \(truncated file\?\)/);
    expect(() => readSafetensors(f.subarray(0, 5))).toThrow(/shorter than the 8-byte header size field/);
  });

  it('offsets that disagree with the shape', () => {
    const lie = '{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}';
    expect(() => readSafetensors(fileFromSpec(lie, F32_BYTES))).toThrow("tensor 'w': F32 of shape [3] needs 12 bytes but data_offsets [0, 8] span 8");
  });

  it('offsets that overlap, leave a hole, or leave trailing bytes', () => {
    const overlap = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expect(() => readSafetensors(fileFromSpec(overlap, F32_BYTES))).toThrow(/'b' \(bytes 4-8\) overlaps 'a' \(bytes 0-8\)|'a' \(bytes 0-8\) overlaps 'b'/);
    const hole = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expect(() => readSafetensors(fileFromSpec(hole, F32_BYTES))).toThrow("bytes 0-4 of the data section belong to no tensor (before 'a'");
    expect(() => readSafetensors(fileFromSpec(good, [...F32_BYTES, 1, 2]))).toThrow('2 bytes after the last tensor belong to no tensor');
  });

  it('a header that is not JSON, not an object, or has bad entries', () => {
    expect(() => readSafetensors(fileFromSpec('{"w": nope}', []))).toThrow(/header is not valid JSON/);
    expect(() => readSafetensors(fileFromSpec('[1, 2]', []))).toThrow(/does not start with '\{'/);
    expect(() => readSafetensors(fileFromSpec('{"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]))).toThrow(`tensor 'w': unknown dtype "F33"`);
    expect(() => readSafetensors(fileFromSpec('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', [0, 0, 0, 0]))).toThrow(/'w': shape \[-1\] is not a list of non-negative integers/);
    expect(() => readSafetensors(fileFromSpec('{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', [0, 0, 0, 0]))).toThrow(/'w': data_offsets \[4,0\]/);
    expect(() => readSafetensors(fileFromSpec('{"__metadata__":{"n":1}}', []))).toThrow(`"__metadata__" value of 'n' is not a string`);
  });

  it('a header size field beyond any sane header', () => {
    const f = new Uint8Array(16);
    new DataView(f.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(() => readSafetensors(f)).toThrow(/more than the 100000000 allowed/);
  });
});

describe('writing', () => {
  it('pads the header to 8 bytes, aligns tensors largest element first, and reads back bit-exactly', () => {
    const weird = new Float32Array([NaN, -0, Infinity, 1e-45, 3.4028235e38]);
    const bytes = writeSafetensors([
      { name: 'z.small', dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0x7c00, 0x8001]) },
      { name: 'a.f32', dtype: 'F32', shape: [5], data: weird },
      { name: 'i.i64', dtype: 'I64', shape: [2], data: new BigInt64Array([1n, -1n]) },
    ], { format: 'pt' });
    const headerSize = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerSize % 8).toBe(0);
    const st = readSafetensors(bytes);
    expect(st.metadata).toEqual({ format: 'pt' });
    const at = (n: string) => st.tensors.get(n)!.begin;
    expect(at('i.i64')).toBe(0); // 8-byte elements first, then 4, then 2
    expect(at('a.f32')).toBe(16);
    expect(at('z.small')).toBe(36);
    expect(new Uint32Array(toFloat32(st, 'a.f32').slice().buffer)).toEqual(new Uint32Array(weird.buffer));
    expect(Array.from(toFloat32(st, 'z.small'))).toEqual([1, Infinity, -(2 ** -24)]);
  });

  it('refuses duplicate names, the reserved name and data of the wrong size', () => {
    const t = { name: 'w', dtype: 'F32' as const, shape: [1], data: new Float32Array(1) };
    expect(() => planSafetensors([t, t])).toThrow("tensor 'w' is given twice");
    expect(() => planSafetensors([{ ...t, name: '__metadata__' }])).toThrow('reserved');
    expect(() => writeSafetensors([{ ...t, shape: [2] }])).toThrow("tensor 'w': 4 bytes of data for F32 of shape [2] (8 bytes)");
  });

  it('throws SafetensorsError, so callers can tell a corrupt file from other failures', () => {
    expect(() => readSafetensors(new Uint8Array(3))).toThrow(SafetensorsError);
  });
});
