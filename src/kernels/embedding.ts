// Embedding lookup and row gather (MLM head positions), with deterministic scatter-add backwards
// (shaders/embedding.wgsl).
//
// Ids out of range: ids passed as a host Int32Array are checked here. Ids already on the GPU are
// checked by the gather itself without a stall (src/gpu/guard.ts): the bad row is NaN and the next
// download throws an OpError naming the input, the element and the range. The backward skips them.
import type { FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { checkHost, type GuardCheck } from '../gpu/guard.ts';
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { fill } from './fill.ts';
import { foldGroups, softwareAdapter } from './launch.ts';
import { expectDType, expectFloat } from './shape.ts';

const gatherKernel = new Kernel({ shader: 'embedding', entry: 'gather' });
const gatherVec4Kernel = new Kernel({ shader: 'embedding', entry: 'gather_vec4' });
const validateKernel = new Kernel({ shader: 'embedding', entry: 'validate' });
const histKernel = new Kernel({ shader: 'embedding', entry: 'hist' });
const scanKernel = new Kernel({ shader: 'embedding', entry: 'scan' });
const placeKernel = new Kernel({ shader: 'embedding', entry: 'place' });
const accumulateKernel = new Kernel({ shader: 'embedding', entry: 'accumulate' });
const accumulateVec4Kernel = new Kernel({ shader: 'embedding', entry: 'accumulate_vec4' });
const WG = 64;

export type Ids = Tensor | Int32Array;

/** How a bad id is named in errors: the input (`inputIds`), and a hint for likely mistakes. */
export interface IdNames {
  input?: string;
  /** What the valid range is, e.g. `(vocab_size)`; appended to `ids in [0, V)`. */
  rangeName?: string;
  hint?: GuardCheck['hint'];
}

/** Where token t's row is: ids[t] in [0, range), offset by (t / segLen) * segStride for a row gather. */
interface Rows { tokens: number; V: number; C: number; range: number; segLen: number; segStride: number }

function idCheck(op: string, what: string, shape: readonly number[], range: number, names: IdNames = {}): GuardCheck {
  const expected = `${what}s in [0, ${range})${names.rangeName ? ` ${names.rangeName}` : ''}`;
  return { op, input: names.input ?? `${what}s`, shape, expected, hint: names.hint };
}

function idTensor(op: string, ids: Ids, shape: readonly number[] | null, range: number, check: GuardCheck): { t: Tensor; uploaded: boolean } {
  if (ids instanceof Int32Array) {
    checkHost(check, ids, (v) => v >= 0 && v < range);
    return { t: engine().tensor(ids, shape ?? [ids.length], 'i32'), uploaded: true };
  }
  expectDType(op, ids, 'i32');
  return { t: ids, uploaded: false };
}

/**
 * Launch shape for `rows` rows of `cols` columns (shaders/embedding.wgsl): x over columns, y then z
 * over groups of consecutive rows. A software adapter pays per workgroup, so it gets about 256
 * groups in all; a GPU gets a row per group.
 */
function rowMajor(cols: number, rows: number): { workgroups: [number, number, number]; rowsPerGroup: number } {
  const rowsPerGroup = softwareAdapter() ? Math.max(1, Math.ceil(rows / 256)) : 1;
  const groups = Math.max(1, Math.ceil(rows / rowsPerGroup));
  const y = Math.min(groups, 65535);
  return { workgroups: [Math.ceil(cols / WG), y, Math.ceil(groups / y)], rowsPerGroup };
}

function uniformsOf(r: Rows, c: number, nb = 0, blockLen = 0, rowsPerGroup = 1, guardSlot = 0) {
  return { tokens: r.tokens, V: r.V, C: c, seg_len: r.segLen, seg_stride: r.segStride, range: r.range, nb, block_len: blockLen, rows_per_group: rowsPerGroup, guard_slot: guardSlot };
}

/** Gathers rows; ids the host has not checked are checked by the kernel (`check` set). */
function gatherRowsOf(table: Tensor, ids: Tensor, r: Rows, outShape: number[], check: GuardCheck | null, dtype: FloatDType): Tensor<FloatDType> {
  const e = engine();
  const out = e.empty(outShape, dtype);
  if (out.size === 0) return out;
  const vec4 = r.C % 4 === 0;
  const c = vec4 ? r.C / 4 : r.C;
  const shape = rowMajor(c, r.tokens);
  // Host-checked ids still bind the guard (one pipeline either way) but cannot fail.
  const { guard, slot } = check ? e.guardSlot(check) : { guard: e.guard.buffer, slot: 0 };
  e.run((vec4 ? gatherVec4Kernel : gatherKernel).as(dtype), {
    bindings: vec4 ? { ids, table4: table, out4: out, guard } : { ids, table, out, guard },
    uniforms: uniformsOf(r, c, 0, 0, shape.rowsPerGroup, slot),
    overrides: { WG, TABLE_F16: table.dtype === 'f16' },
    workgroups: shape.workgroups,
  });
  return out;
}

/** The stable counting sort and per-row sums of shaders/embedding.wgsl: dtable (V, C) from dy (tokens, C). */
function scatterAdd(dy: Tensor, ids: Tensor, r: Rows, outShape: number[], dtype: FloatDType): Tensor<FloatDType> {
  const e = engine();
  const dtable = e.empty(outShape, dtype);
  if (dtable.size === 0) return dtable;
  if (r.tokens === 0) return fill(dtable, 0) as Tensor<FloatDType>;
  const nb = Math.min(64, Math.max(1, Math.ceil(r.tokens / 256)));
  const blockLen = Math.ceil(r.tokens / nb);
  const counts = fill(e.empty([r.V * nb], 'u32'), 0);
  const cursor = e.empty([r.V * nb], 'u32');
  const rowStart = e.empty([r.V + 1], 'u32');
  const sorted = e.empty([r.tokens], 'u32');
  const vec4 = r.C % 4 === 0;
  const c = vec4 ? r.C / 4 : r.C;
  const uniforms = uniformsOf(r, c, nb, blockLen);
  const blocks = [Math.ceil(nb / WG)];
  e.run(histKernel, { bindings: { ids, counts }, uniforms, overrides: { WG }, workgroups: blocks });
  e.run(scanKernel, { bindings: { counts, cursor, row_start: rowStart }, uniforms, workgroups: [1] });
  e.run(placeKernel, { bindings: { ids, cursor, sorted }, uniforms, overrides: { WG }, workgroups: blocks });
  const shape = rowMajor(c, r.V);
  e.run((vec4 ? accumulateVec4Kernel : accumulateKernel).as(dtype), {
    bindings: vec4 ? { dy4: dy, starts: rowStart, order: sorted, dtable4: dtable } : { dy, starts: rowStart, order: sorted, dtable },
    uniforms: { ...uniforms, rows_per_group: shape.rowsPerGroup },
    overrides: { WG, DY_F16: dy.dtype === 'f16' },
    workgroups: shape.workgroups,
  });
  for (const t of [counts, cursor, rowStart, sorted]) t.dispose();
  return dtable;
}

function expectTable(op: string, table: Tensor): void {
  expectDType(op, table, 'f32', 'f16');
  if (table.rank !== 2) throw new OpError(op, `table must be (V, C), got shape ${shapeStr(table.shape)}`);
}

/** table (V, C) looked up at ids (...) i32 -> (..., C), stored as `dtype` (default: the table's float type). */
export function embedding(table: Tensor, ids: Ids, names?: IdNames, dtype: FloatDType = table.dtype === 'f16' ? 'f16' : 'f32'): Tensor<FloatDType> {
  expectTable('embedding', table);
  const [V, C] = table.shape;
  const shape = ids instanceof Int32Array ? [ids.length] : ids.shape;
  const check = idCheck('embedding', 'id', shape, V, names);
  const { t, uploaded } = idTensor('embedding', ids, null, V, check);
  const out = gatherRowsOf(table, t, { tokens: t.size, V, C, range: V, segLen: 0, segStride: 0 }, [...t.shape, C], uploaded ? null : check, dtype);
  if (uploaded) t.dispose();
  return out;
}

/**
 * dTable (V, C) = scatter-add of dy (..., C) at ids (...), summed in f32 and stored as `dtype` (the
 * table's type; default f32): the same bits every run, also with repeated ids.
 */
export function embeddingBackward(dy: Tensor, ids: Ids, vocabSize: number, dtype: FloatDType = 'f32'): Tensor<FloatDType> {
  const op = 'embeddingBackward';
  expectDType(op, dy, 'f32', 'f16');
  if (!Number.isInteger(vocabSize) || vocabSize < 0) throw new OpError(op, `vocabSize must be a non-negative integer, got ${vocabSize}`);
  const shape = ids instanceof Int32Array ? [ids.length] : ids.shape;
  const { t, uploaded } = idTensor(op, ids, null, vocabSize, idCheck(op, 'id', shape, vocabSize));
  const C = dy.shape[dy.rank - 1];
  if (dy.rank !== t.rank + 1 || t.shape.some((d, i) => d !== dy.shape[i])) {
    throw new OpError(op, `dy ${shapeStr(dy.shape)} must be ids' shape ${shapeStr(t.shape)} plus a channel axis`);
  }
  const out = scatterAdd(dy, t, { tokens: t.size, V: vocabSize, C, range: vocabSize, segLen: 0, segStride: 0 }, [vocabSize, C], dtype);
  if (uploaded) t.dispose();
  return out;
}

function gatherShapes(op: string, B: number, positions: Ids): { t: Tensor; uploaded: boolean; P: number } {
  if (positions instanceof Int32Array) {
    if (B === 0 || positions.length % B !== 0) throw new OpError(op, `${positions.length} host positions do not split into ${B} rows`);
    return { t: engine().tensor(positions, [B, positions.length / B], 'i32'), uploaded: true, P: positions.length / B };
  }
  expectDType(op, positions, 'i32');
  if (positions.rank !== 2 || positions.shape[0] !== B) throw new OpError(op, `positions must be (B, P) with B = ${B}, got shape ${shapeStr(positions.shape)}`);
  return { t: positions, uploaded: false, P: positions.shape[1] };
}

/** x (B, S, C) gathered at positions (B, P) i32 in [0, S) -> (B, P, C): out[b, p] = x[b, positions[b, p]]. */
export function gatherRows(x: Tensor, positions: Ids, names?: IdNames): Tensor<FloatDType> {
  const op = 'gatherRows';
  const dtype = expectFloat(op, { x });
  if (x.rank !== 3) throw new OpError(op, `x must be (B, S, C), got shape ${shapeStr(x.shape)}`);
  const [B, S, C] = x.shape;
  const { t, uploaded, P } = gatherShapes(op, B, positions);
  const check = idCheck(op, 'position', t.shape, S, { rangeName: '(the sequence length)', ...names });
  if (positions instanceof Int32Array) checkHost(check, positions, (v) => v >= 0 && v < S);
  const out = gatherRowsOf(x, t, { tokens: B * P, V: B * S, C, range: S, segLen: Math.max(P, 1), segStride: S }, [B, P, C], uploaded ? null : check, dtype);
  if (uploaded) t.dispose();
  return out;
}

/** dx (B, S, C) from dy (B, P, C) at positions (B, P): repeated positions sum, in position order (deterministic). */
export function gatherRowsBackward(dy: Tensor, positions: Ids, S: number): Tensor<FloatDType> {
  const op = 'gatherRowsBackward';
  const dtype = expectFloat(op, { dy });
  if (dy.rank !== 3) throw new OpError(op, `dy must be (B, P, C), got shape ${shapeStr(dy.shape)}`);
  const [B, P, C] = dy.shape;
  const g = gatherShapes(op, B, positions);
  if (positions instanceof Int32Array) checkHost(idCheck(op, 'position', g.t.shape, S), positions, (v) => v >= 0 && v < S);
  if (g.P !== P) throw new OpError(op, `positions ${shapeStr(g.t.shape)} do not match dy ${shapeStr(dy.shape)}`);
  const out = scatterAdd(dy, g.t, { tokens: B * P, V: B * S, C, range: S, segLen: Math.max(P, 1), segStride: S }, [B, S, C], dtype);
  if (g.uploaded) g.t.dispose();
  return out;
}

/**
 * Checks GPU ids against [0, range) now and throws an OpError naming the first bad one. Waits for
 * the GPU; the ops check their GPU ids anyway, at the next download.
 */
export async function validateIds(ids: Tensor, range: number, op = 'validateIds', names?: IdNames): Promise<void> {
  expectDType(op, ids, 'i32');
  if (ids.size === 0) return;
  const e = engine();
  const { guard, slot } = e.guardSlot(idCheck(op, 'id', ids.shape, range, names));
  e.run(validateKernel, {
    bindings: { ids, guard },
    uniforms: { tokens: ids.size, V: range, C: 0, seg_len: 0, seg_stride: 0, range, nb: 0, block_len: 0, rows_per_group: 0, guard_slot: slot },
    overrides: { WG },
    workgroups: foldGroups(Math.ceil(ids.size / WG)),
  });
  await e.sync();
}
