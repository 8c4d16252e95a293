// BERT's transformer block, post-LN: h = LN(h + drop(attn(h))); h = LN(h + drop(W2 act(W1 h))).
// Parameter paths are Hugging Face's BertLayer paths (attention.self.query, intermediate.dense, ...).
import type { FloatDType } from '../gpu/dtype.ts';
import { tidy } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { add, relu } from '../autograd/elementwise.ts';
import { attention } from '../autograd/attention.ts';
import type { Activation } from '../autograd/matmul.ts';
import type { BertConfig } from './config.ts';
import { Dropout, LayerNorm, Linear, type InitOptions } from './layers.ts';
import { Module } from './module.ts';
import type { Generator } from './random.ts';

/** The fused matmul epilogue for a config's hidden_act; null when the activation runs as its own op. */
export function fusedActivation(act: BertConfig['hidden_act']): Activation | null {
  if (act === 'gelu') return 'gelu';
  if (act === 'gelu_new' || act === 'gelu_pytorch_tanh') return 'gelu_tanh';
  return null;
}

/** Dense + dropout + residual: fused into the matmul epilogue when dropout is off. */
function denseResidual(dense: Linear, drop: Dropout, x: Tensor, residual: Tensor): Tensor<FloatDType> {
  if (!drop.active) return dense.forward(x, { residual });
  return add(drop.forward(dense.forward(x)), residual);
}

/** Multi-head self-attention with its output projection, dropout, residual and LayerNorm (HF BertAttention). */
export class MultiHeadAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly dense: Linear;
  readonly norm: LayerNorm;
  readonly dropout: Dropout;
  readonly heads: number;
  private readonly probsDropout: number;
  private readonly generator: Generator;

  constructor(config: BertConfig, init: InitOptions) {
    super();
    const h = config.hidden_size;
    this.heads = config.num_attention_heads;
    this.query = this.child('self.query', new Linear(h, h, init));
    this.key = this.child('self.key', new Linear(h, h, init));
    this.value = this.child('self.value', new Linear(h, h, init));
    this.dense = this.child('output.dense', new Linear(h, h, init));
    this.norm = this.child('output.LayerNorm', new LayerNorm(h, config.layer_norm_eps));
    this.dropout = this.child('output.dropout', new Dropout(config.hidden_dropout_prob, init.generator));
    this.probsDropout = config.attention_probs_dropout_prob;
    this.generator = init.generator;
  }

  /** h (B, S, H); mask (B, S) additive key mask -> (B, S, H). */
  forward(h: Tensor, mask?: Tensor): Tensor<FloatDType> {
    return tidy(() => {
      const q = this.query.forward(h);
      const k = this.key.forward(h);
      const v = this.value.forward(h);
      const dropout = this.training && this.probsDropout > 0 ? { rate: this.probsDropout, seed: this.generator.nextSeed() } : undefined;
      const context = attention(q, k, v, { heads: this.heads, mask, dropout });
      return this.norm.forward(denseResidual(this.dense, this.dropout, context, h));
    });
  }
}

/** One BERT encoder layer (HF BertLayer). */
export class TransformerEncoderLayer extends Module {
  readonly attention: MultiHeadAttention;
  readonly intermediate: Linear;
  readonly output: Linear;
  readonly norm: LayerNorm;
  readonly dropout: Dropout;
  private readonly act: BertConfig['hidden_act'];

  constructor(config: BertConfig, init: InitOptions) {
    super();
    const { hidden_size: h, intermediate_size: i } = config;
    this.attention = this.child('attention', new MultiHeadAttention(config, init));
    this.intermediate = this.child('intermediate.dense', new Linear(h, i, init));
    this.output = this.child('output.dense', new Linear(i, h, init));
    this.norm = this.child('output.LayerNorm', new LayerNorm(h, config.layer_norm_eps));
    this.dropout = this.child('output.dropout', new Dropout(config.hidden_dropout_prob, init.generator));
    this.act = config.hidden_act;
  }

  /** h (B, S, H); mask (B, S) additive key mask -> (B, S, H). */
  forward(h: Tensor, mask?: Tensor): Tensor<FloatDType> {
    return tidy(() => {
      const a = this.attention.forward(h, mask);
      const fused = fusedActivation(this.act);
      const inner = fused ? this.intermediate.forward(a, { activation: fused }) : relu(this.intermediate.forward(a));
      return this.norm.forward(denseResidual(this.output, this.dropout, inner, a));
    });
  }
}
