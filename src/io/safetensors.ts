// The safetensors format (https://github.com/huggingface/safetensors), read and written in plain
// TypeScript, no Node APIs, so checkpoints also load in a browser from fetched bytes.
//
// Layout: an unsigned little-endian 64-bit header size N; N bytes of UTF-8 JSON, starting with
// '{' and possibly padded with spaces, mapping each tensor name to { dtype, shape, data_offsets:
// [begin, end] } (offsets relative to the data section), plus an optional "__metadata__" map of
// strings; then the data section, row-major little-endian, entirely covered by the tensors with no
// holes or overlaps. Reading validates all of that and names the tensor at fault.
import { f16BitsToF32, f32ToF16Bits } from '../gpu/dtype.ts';

export const DTYPE_BYTES = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
} as const;
export type SafetensorsDType = keyof typeof DTYPE_BYTES;

/** Same limit as the reference implementation: a larger header is treated as corrupt. */
export const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Offsets into the data section, [begin, end). */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  /** The "__metadata__" map (empty when absent). */
  metadata: Record<string, string>;
  /** Tensors in header order. */
  tensors: Map<string, TensorInfo>;
  /** Raw bytes of one tensor (a view into the file's bytes, no copy). */
  bytes(name: string): Uint8Array;
}

const isDType = (x: unknown): x is SafetensorsDType => typeof x === 'string' && Object.hasOwn(DTYPE_BYTES, x);

/** Parses and validates a whole safetensors file held in memory. */
export function readSafetensors(file: Uint8Array, label = 'safetensors file'): SafetensorsFile {
  const fail = (msg: string) => new SafetensorsError(`${label}: ${msg}`);
  if (file.byteLength < 8) throw fail(`${file.byteLength} bytes is shorter than the 8-byte header size field (truncated file?)`);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const headerBytes = view.getBigUint64(0, true);
  if (headerBytes > BigInt(MAX_HEADER_BYTES)) throw fail(`header size field says ${headerBytes} bytes, more than the ${MAX_HEADER_BYTES} allowed (corrupt file?)`);
  const n = Number(headerBytes);
  if (8 + n > file.byteLength) throw fail(`header size field says ${n} bytes but only ${file.byteLength - 8} follow (truncated file?)`);
  const headerText = new TextDecoder('utf-8', { fatal: false }).decode(file.subarray(8, 8 + n));
  if (!headerText.startsWith('{')) throw fail(`the header does not start with '{' (not a safetensors file?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    throw fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw fail('the header is not a JSON object');

  const dataStart = 8 + n;
  const dataBytes = file.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw fail('"__metadata__" must be an object of strings');
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') throw fail(`"__metadata__" value of '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    tensors.set(name, parseEntry(name, raw, dataBytes, fail));
  }
  checkCoverage([...tensors.values()], dataBytes, fail);
  return {
    metadata,
    tensors,
    bytes(name) {
      const t = tensors.get(name);
      if (!t) throw fail(`has no tensor '${name}'`);
      return file.subarray(dataStart + t.begin, dataStart + t.end);
    },
  };
}

function parseEntry(name: string, raw: unknown, dataBytes: number, fail: (m: string) => Error): TensorInfo {
  const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (!e || typeof e !== 'object') throw fail(`tensor '${name}': header entry is not an object`);
  if (!isDType(e.dtype)) throw fail(`tensor '${name}': unknown dtype ${JSON.stringify(e.dtype)}`);
  const shape = e.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw fail(`tensor '${name}': shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw fail(`tensor '${name}': data_offsets ${JSON.stringify(offsets)} is not a pair [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const need = shape.reduce((p: number, d: number) => p * d, 1) * DTYPE_BYTES[e.dtype];
  if (end - begin !== need) {
    throw fail(`tensor '${name}': ${e.dtype} of shape [${shape.join(', ')}] needs ${need} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  if (end > dataBytes) {
    throw fail(`tensor '${name}': data_offsets end at byte ${end} but the data section holds only ${dataBytes} bytes (truncated file?)`);
  }
  return { name, dtype: e.dtype, shape: shape as number[], begin, end };
}

/** The data section must be covered exactly: no gaps, no overlaps, no trailing bytes. */
function checkCoverage(tensors: TensorInfo[], dataBytes: number, fail: (m: string) => Error): void {
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: TensorInfo | null = null;
  for (const t of sorted) {
    if (t.begin === t.end) continue; // empty tensors hold no bytes
    if (t.begin < at) throw fail(`tensor '${t.name}' (bytes ${t.begin}-${t.end}) overlaps '${prev!.name}' (bytes ${prev!.begin}-${prev!.end})`);
    if (t.begin > at) throw fail(`bytes ${at}-${t.begin} of the data section belong to no tensor (before '${t.name}'; the header's offsets are wrong)`);
    at = t.end;
    prev = t;
  }
  if (at !== dataBytes) throw fail(`${dataBytes - at} bytes after the last tensor belong to no tensor (the header's offsets are wrong)`);
}

// ------------------------------------------------------------------ conversion

let f16Table: Float32Array | null = null;

/** A tensor's values as f32: F32 as is, F16 / BF16 widened exactly, F64 rounded. Other dtypes throw. */
/** A tensor's values as f16 bits: F16 tensors as stored (no conversion), the others rounded to nearest. */
export function toFloat16Bits(file: SafetensorsFile, name: string): Uint16Array {
  const info = file.tensors.get(name);
  if (!info) throw new SafetensorsError(`no tensor '${name}'`);
  if (info.dtype === 'F16') {
    const bytes = file.bytes(name);
    const b = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
    return new Uint16Array(b.buffer, b.byteOffset, (info.end - info.begin) / 2);
  }
  return Uint16Array.from(toFloat32(file, name), f32ToF16Bits);
}

export function toFloat32(file: SafetensorsFile, name: string): Float32Array {
  const info = file.tensors.get(name);
  if (!info) throw new SafetensorsError(`no tensor '${name}'`);
  const bytes = file.bytes(name);
  const n = (info.end - info.begin) / DTYPE_BYTES[info.dtype];
  // Typed arrays need aligned offsets; an unaligned tensor is copied first.
  const aligned = (size: number) => (bytes.byteOffset % size === 0 ? bytes : bytes.slice());
  switch (info.dtype) {
    case 'F32': {
      const b = aligned(4);
      return new Float32Array(b.buffer, b.byteOffset, n);
    }
    case 'F64': {
      const b = aligned(8);
      return Float32Array.from(new Float64Array(b.buffer, b.byteOffset, n));
    }
    case 'F16': {
      const b = aligned(2);
      const bits = new Uint16Array(b.buffer, b.byteOffset, n);
      if (!f16Table) f16Table = Float32Array.from({ length: 65536 }, (_, h) => f16BitsToF32(h));
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f16Table[bits[i]];
      return out;
    }
    case 'BF16': {
      const b = aligned(2);
      const bits = new Uint16Array(b.buffer, b.byteOffset, n);
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = bits[i] << 16;
      return new Float32Array(out.buffer);
    }
    default:
      throw new SafetensorsError(`tensor '${name}' is ${info.dtype}; only F32, F16, BF16 and F64 convert to float32`);
  }
}

// ------------------------------------------------------------------ writing

export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  /** Row-major little-endian bytes (any typed array over them). */
  data: ArrayBufferView;
}

export interface PlannedTensor {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  begin: number;
  end: number;
}

/**
 * The header bytes (size field + JSON padded with spaces to a multiple of 8, so the data section
 * starts aligned) and each tensor's place in the data section. Tensors are laid out by element size,
 * largest first, then by name, as the reference implementation does, so every tensor starts aligned.
 */
export function planSafetensors(tensors: readonly Omit<TensorToWrite, 'data'>[], metadata: Record<string, string> = {}): { header: Uint8Array; order: PlannedTensor[]; dataBytes: number } {
  const names = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__') throw new SafetensorsError('"__metadata__" is reserved and cannot name a tensor');
    if (names.has(t.name)) throw new SafetensorsError(`tensor '${t.name}' is given twice`);
    names.add(t.name);
  }
  const order = [...tensors].sort((a, b) => DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const planned: PlannedTensor[] = [];
  const json: Record<string, unknown> = {};
  if (Object.keys(metadata).length) json.__metadata__ = metadata;
  let at = 0;
  for (const t of order) {
    const bytes = t.shape.reduce((p, d) => p * d, 1) * DTYPE_BYTES[t.dtype];
    planned.push({ name: t.name, dtype: t.dtype, shape: t.shape, begin: at, end: at + bytes });
    json[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + bytes] };
    at += bytes;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const padded = Math.ceil(text.byteLength / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(text, 8);
  return { header, order: planned, dataBytes: at };
}

/** A complete safetensors file in memory. */
export function writeSafetensors(tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const { header, order, dataBytes } = planSafetensors(tensors, metadata);
  const out = new Uint8Array(header.byteLength + dataBytes);
  out.set(header, 0);
  for (const p of order) out.set(tensorBytes(byName.get(p.name)!, p), header.byteLength + p.begin);
  return out;
}

/** The bytes of one tensor, checked against its planned size. */
export function tensorBytes(t: TensorToWrite, planned: PlannedTensor): Uint8Array {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (bytes.byteLength !== planned.end - planned.begin) {
    throw new SafetensorsError(`tensor '${t.name}': ${bytes.byteLength} bytes of data for ${t.dtype} of shape [${t.shape.join(', ')}] (${planned.end - planned.begin} bytes)`);
  }
  return bytes;
}
