// A plain float64 BERT on the CPU, written from Hugging Face's modeling_bert.py semantics (with
// the kernels' float64 attention, LayerNorm, GELU and cross-entropy references): the spec the GPU
// models are checked against.
//   embeddings: word[id] + token_type[segment] + position[s] -> LayerNorm
//   each layer (post-LN): a = LN(h + (softmax(q k^T / sqrt(d) + mask) v) Wo + bo)
//                         h = LN(a + act(a Wi + bi) Wo2 + bo2)
//   pooler: tanh(h[CLS] Wp + bp)
//   MLM head: LN(act(h Wt + bt)) E^T + bias, E the word embeddings (tied)
// Weights are keyed by HF parameter names; Linear weights are (out, in) as torch stores them.
import type { BertConfig } from '../../src/nn/config.ts';
import { attentionRef } from './attention.ts';
import { crossEntropyRef } from './cross_entropy.ts';
import { gelu64 } from './gelu.ts';
import { layerNormRef } from './layernorm.ts';

export type Weights = Record<string, ArrayLike<number>>;

export interface RefInputs {
  inputIds: number[][];
  /** 1 for real tokens, 0 for padding. */
  attentionMask?: number[][];
  tokenTypeIds?: number[][];
}

// ------------------------------------------------------------------ building blocks

export function activation(kind: BertConfig['hidden_act'], x: number): number {
  if (kind === 'relu') return Math.max(0, x);
  return gelu64(x, kind === 'gelu' ? 'none' : 'tanh');
}

/** x (rows, in) W^T + b, W (out, in) -> (rows, out) */
export function linear(x: ArrayLike<number>, rows: number, w: ArrayLike<number>, b: ArrayLike<number> | undefined, nIn: number, nOut: number): Float64Array {
  const y = new Float64Array(rows * nOut);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < nOut; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < nIn; i++) s += x[r * nIn + i] * w[o * nIn + i];
      y[r * nOut + o] = s;
    }
  }
  return y;
}

/** LayerNorm over rows of length c (biased variance, as torch). */
export function layerNorm(x: ArrayLike<number>, c: number, g: ArrayLike<number>, b: ArrayLike<number>, eps: number): Float64Array {
  return layerNormRef(x, g, b, c, eps).y;
}

/**
 * Multi-head self-attention of (B, S, heads * D) rows with a padding mask (1 = real key): the
 * attention kernel's float64 reference, keys with mask 0 left out (HF adds finfo.min there: the
 * same for any row with a real key).
 */
export function attention(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, B: number, S: number, heads: number, mask?: number[][]): Float64Array {
  const additive = mask ? mask.flat().map((m) => (m === 0 ? -Infinity : 0)) : undefined;
  return attentionRef(q, k, v, { B, S, H: heads, D: q.length / (B * S * heads), mask: additive }).out;
}

const addInto = (a: Float64Array, b: ArrayLike<number>) => {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  return a;
};

// ------------------------------------------------------------------ the model

export interface RefBertOutput {
  /** (B, S, H) */
  sequence: Float64Array;
  /** (B, H), when the weights have a pooler */
  pooled: Float64Array | null;
  /** embeddings output, then each layer's output */
  hiddenStates: Float64Array[];
}

/** BertModel forward. `prefix` is where the backbone's weights live ('bert.' in task models). */
export function bertForward(config: BertConfig, w: Weights, inputs: RefInputs, prefix = 'bert.'): RefBertOutput {
  const P = (name: string) => {
    const t = w[prefix + name];
    if (!t) throw new Error(`reference BERT: no weight '${prefix + name}'`);
    return t;
  };
  const B = inputs.inputIds.length;
  const S = inputs.inputIds[0].length;
  const H = config.hidden_size;
  const A = config.num_attention_heads;
  const eps = config.layer_norm_eps;
  const rows = B * S;

  const word = P('embeddings.word_embeddings.weight');
  const pos = P('embeddings.position_embeddings.weight');
  const type = P('embeddings.token_type_embeddings.weight');
  let h: Float64Array = new Float64Array(rows * H);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const id = inputs.inputIds[b][s];
      const tt = inputs.tokenTypeIds?.[b][s] ?? 0;
      for (let i = 0; i < H; i++) h[(b * S + s) * H + i] = word[id * H + i] + type[tt * H + i] + pos[s * H + i];
    }
  }
  h = layerNorm(h, H, P('embeddings.LayerNorm.weight'), P('embeddings.LayerNorm.bias'), eps);
  const hiddenStates = [h];

  for (let l = 0; l < config.num_hidden_layers; l++) {
    const L = (name: string) => P(`encoder.layer.${l}.${name}`);
    const q = linear(h, rows, L('attention.self.query.weight'), L('attention.self.query.bias'), H, H);
    const k = linear(h, rows, L('attention.self.key.weight'), L('attention.self.key.bias'), H, H);
    const v = linear(h, rows, L('attention.self.value.weight'), L('attention.self.value.bias'), H, H);
    const ctx = attention(q, k, v, B, S, A, inputs.attentionMask);
    const attnOut = addInto(linear(ctx, rows, L('attention.output.dense.weight'), L('attention.output.dense.bias'), H, H), h);
    const a = layerNorm(attnOut, H, L('attention.output.LayerNorm.weight'), L('attention.output.LayerNorm.bias'), eps);
    const inner = linear(a, rows, L('intermediate.dense.weight'), L('intermediate.dense.bias'), H, config.intermediate_size).map((x) => activation(config.hidden_act, x));
    const out = addInto(linear(inner, rows, L('output.dense.weight'), L('output.dense.bias'), config.intermediate_size, H), a);
    h = layerNorm(out, H, L('output.LayerNorm.weight'), L('output.LayerNorm.bias'), eps);
    hiddenStates.push(h);
  }

  let pooled: Float64Array | null = null;
  if (w[`${prefix}pooler.dense.weight`]) {
    const cls = new Float64Array(B * H);
    for (let b = 0; b < B; b++) cls.set(h.subarray(b * S * H, b * S * H + H), b * H);
    pooled = linear(cls, B, P('pooler.dense.weight'), P('pooler.dense.bias'), H, H).map(Math.tanh);
  }
  return { sequence: h, pooled, hiddenStates };
}

/** MLM logits at positions (B, P) of the sequence output -> (B, P, V). */
export function mlmLogits(config: BertConfig, w: Weights, sequence: Float64Array, seqLen: number, positions: number[][]): Float64Array {
  const H = config.hidden_size;
  const V = config.vocab_size;
  const B = positions.length;
  const nP = positions[0].length;
  const rows = new Float64Array(B * nP * H);
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < nP; p++) rows.set(sequence.subarray((b * seqLen + positions[b][p]) * H, (b * seqLen + positions[b][p] + 1) * H), (b * nP + p) * H);
  }
  const t = linear(rows, B * nP, w['cls.predictions.transform.dense.weight'], w['cls.predictions.transform.dense.bias'], H, H).map((x) => activation(config.hidden_act, x));
  const n = layerNorm(t, H, w['cls.predictions.transform.LayerNorm.weight'], w['cls.predictions.transform.LayerNorm.bias'], config.layer_norm_eps);
  return linear(n, B * nP, w['bert.embeddings.word_embeddings.weight'], w['cls.predictions.bias'], H, V);
}

/** Mean cross-entropy of logits (N, V) over rows whose label is not ignoreIndex. */
export function crossEntropy(logits: ArrayLike<number>, V: number, labels: number[], ignoreIndex = -100): number {
  return crossEntropyRef(logits, labels, V, { ignoreIndex }).loss;
}

/** The masked-LM loss of BertForMaskedLM at mask positions: the objective of the gradient check. */
export function mlmLoss(config: BertConfig, w: Weights, inputs: RefInputs, positions: number[][], labels: number[][]): number {
  const { sequence } = bertForward(config, w, inputs);
  const logits = mlmLogits(config, w, sequence, inputs.inputIds[0].length, positions);
  return crossEntropy(logits, config.vocab_size, labels.flat());
}

/** BertForSequenceClassification logits (B, C): CLS pooling, or masked max pooling with an optional ReLU layer. */
export function classifierLogits(config: BertConfig, w: Weights, inputs: RefInputs, pooling: 'cls' | 'max' = 'cls'): Float64Array {
  const out = bertForward(config, w, inputs);
  const H = config.hidden_size;
  const B = inputs.inputIds.length;
  const S = inputs.inputIds[0].length;
  let x: Float64Array;
  if (pooling === 'cls') x = out.pooled!;
  else {
    x = new Float64Array(B * H).fill(-Infinity);
    for (let b = 0; b < B; b++) {
      for (let s = 0; s < S; s++) {
        if (inputs.attentionMask && inputs.attentionMask[b][s] === 0) continue;
        for (let i = 0; i < H; i++) x[b * H + i] = Math.max(x[b * H + i], out.sequence[(b * S + s) * H + i]);
      }
    }
  }
  let width = H;
  if (w['pre_classifier.weight']) {
    width = w['pre_classifier.bias'].length;
    x = linear(x, B, w['pre_classifier.weight'], w['pre_classifier.bias'], H, width).map((v) => Math.max(0, v));
  }
  const C = w['classifier.bias'].length;
  return linear(x, B, w['classifier.weight'], w['classifier.bias'], width, C);
}

/** BertForQuestionAnswering start and end logits, each (B, S). */
export function qaLogits(config: BertConfig, w: Weights, inputs: RefInputs): { start: Float64Array; end: Float64Array } {
  const { sequence } = bertForward(config, w, inputs);
  const rows = inputs.inputIds.length * inputs.inputIds[0].length;
  const both = linear(sequence, rows, w['qa_outputs.weight'], w['qa_outputs.bias'], config.hidden_size, 2);
  const start = new Float64Array(rows);
  const end = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    start[r] = both[2 * r];
    end[r] = both[2 * r + 1];
  }
  return { start, end };
}
