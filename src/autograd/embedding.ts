// Differentiable row gathers (src/kernels/embedding.ts): embedding lookup and the gather of rows
// at positions (the masked-LM head); both backward passes are deterministic scatter-adds.
// Ids may be a GPU i32 tensor or a host Int32Array (checked on the host; see the kernel file).
import type { FloatDType } from '../gpu/dtype.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { embedding as embeddingRaw, embeddingBackward, gatherRows as gatherRowsRaw, gatherRowsBackward, type IdNames, type Ids } from '../kernels/embedding.ts';
import { record, type SaveContext } from './tape.ts';

const keepIds = (ctx: SaveContext, ids: Ids): Ids => (ids instanceof Int32Array ? ids : ctx.save(ids));

/** table (V, C) looked up at integer ids (...) -> (..., C), stored as `dtype` (default: the table's float type). */
export function embedding(table: Tensor, ids: Ids, names?: IdNames, dtype?: FloatDType): Tensor<FloatDType> {
  return record('embedding', [table], embeddingRaw(table, ids, names, dtype), (ctx) => {
    const saved = keepIds(ctx, ids);
    const vocab = table.shape[0];
    return (dy) => [embeddingBackward(dy, saved, vocab, table.dtype === 'f16' ? 'f16' : 'f32')];
  });
}

/** x (B, S, C) at positions (B, P) -> (B, P, C). */
export function gatherRows(x: Tensor, positions: Ids, names?: IdNames): Tensor<FloatDType> {
  return record('gatherRows', [x], gatherRowsRaw(x, positions, names), (ctx) => {
    const saved = keepIds(ctx, positions);
    const seq = x.shape[1];
    return (dy) => [gatherRowsBackward(dy, saved, seq)];
  });
}
