// Small BERT configs, padded batches and weight downloads shared by the model tests.
import { tensor, type Tensor } from '../../src/node.ts';
import type { BertInputs } from '../../src/nn/bert.ts';
import { BERT_DEFAULTS, type BertConfig } from '../../src/nn/config.ts';
import type { Module } from '../../src/nn/module.ts';
import type { RefInputs } from '../reference/bert.ts';
import { rng } from './random.ts';

/** The micro config for gradient checks: hidden 8, 1 layer, 2 heads, vocab 50, no dropout. */
export const MICRO: BertConfig = {
  ...BERT_DEFAULTS,
  vocab_size: 50,
  hidden_size: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 16,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
};

/** BERT-tiny (L-2_H-128_A-2) with a small vocabulary, so tests stay fast. */
export const TINY: BertConfig = {
  ...BERT_DEFAULTS,
  vocab_size: 503,
  hidden_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 512,
  max_position_embeddings: 64,
};

export interface HostBatch extends Required<RefInputs> {}

/**
 * B sequences of length S: sequence b has lengths[b] real tokens (ids in [1, vocab)) then padding
 * (id 0, mask 0); segment 0 for the first half of the real tokens and 1 for the rest.
 */
export function randomBatch(seed: number, lengths: number[], S: number, vocab: number): HostBatch {
  const r = rng(seed);
  const inputIds: number[][] = [];
  const attentionMask: number[][] = [];
  const tokenTypeIds: number[][] = [];
  for (const len of lengths) {
    inputIds.push(Array.from({ length: S }, (_, s) => (s < len ? 1 + Math.floor(r() * (vocab - 1)) : 0)));
    attentionMask.push(Array.from({ length: S }, (_, s) => (s < len ? 1 : 0)));
    tokenTypeIds.push(Array.from({ length: S }, (_, s) => (s < len && s >= Math.ceil(len / 2) ? 1 : 0)));
  }
  return { inputIds, attentionMask, tokenTypeIds };
}

/** (B, S) i32 on the GPU. */
export function ids2d(rows: number[][]): Tensor<'i32'> {
  return tensor(Int32Array.from(rows.flat()), [rows.length, rows[0].length], 'i32');
}

export function toInputs(b: HostBatch): Required<BertInputs> {
  return { inputIds: ids2d(b.inputIds), attentionMask: ids2d(b.attentionMask), tokenTypeIds: ids2d(b.tokenTypeIds) };
}

/** Every parameter by HF name, downloaded. */
export async function weightsOf(model: Module): Promise<Record<string, Float32Array>> {
  const named = model.namedParameters();
  const values = await Promise.all(named.map(([, p]) => p.data()));
  return Object.fromEntries(named.map(([n], i) => [n, values[i]]));
}
