// Differentiable row gathers (src/kernels/embedding.ts): embedding lookup and the gather of rows
// at positions (the masked-LM head); both backward passes are deterministic scatter-adds.
import type { Tensor } from '../gpu/tensor.ts';
import { embedding as embeddingRaw, embeddingBackward, gatherRows as gatherRowsRaw, gatherRowsBackward } from '../kernels/embedding.ts';
import { record } from './tape.ts';

/** table (V, C) looked up at integer ids (...) -> (..., C). */
export function embedding(table: Tensor, ids: Tensor): Tensor<'f32'> {
  return record('embedding', [table], embeddingRaw(table, ids) as Tensor<'f32'>, ({ save }) => {
    const sid = save(ids);
    const vocab = table.shape[0];
    return (dy) => [embeddingBackward(dy, sid, vocab)];
  });
}

/** x (B, S, C) at positions (B, P) -> (B, P, C). */
export function gatherRows(x: Tensor, positions: Tensor): Tensor<'f32'> {
  return record('gatherRows', [x], gatherRowsRaw(x, positions) as Tensor<'f32'>, ({ save }) => {
    const sp = save(positions);
    const seq = x.shape[1];
    return (dy) => [gatherRowsBackward(dy, sp, seq)];
  });
}
