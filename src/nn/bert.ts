// The BERT backbone (HF BertModel): token + segment + position embeddings, LayerNorm, dropout,
// the encoder layers under a key padding mask, and the tanh pooler on [CLS].
import type { FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { tidy } from '../gpu/runtime.ts';
import { castTo } from '../autograd/cast.ts';
import { resolveDType, type ComputeDType } from './compute-dtype.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { paddingMaskToAdditive } from '../kernels/attention.ts';
import { add, tanh } from '../autograd/elementwise.ts';
import { gatherRows } from '../autograd/embedding.ts';
import { reshape } from '../autograd/shape.ts';
import type { BertConfig } from './config.ts';
import { ConstantCache } from './constants.ts';
import { Dropout, Embedding, LayerNorm, Linear, type InitOptions } from './layers.ts';
import { Module, ModuleList } from './module.ts';
import { TransformerEncoderLayer } from './transformer.ts';

/** A batch of token sequences. */
export interface BertInputs {
  /** (B, S) i32 token ids. */
  inputIds: Tensor;
  /** (B, S) 1 for real tokens, 0 for padding (i32, u32 or f32). Default: every token is real. */
  attentionMask?: Tensor;
  /** (B, S) i32 segment ids (0 for sentence A, 1 for sentence B). Default: all 0. */
  tokenTypeIds?: Tensor;
}

export interface BertOutput {
  /** (B, S, H): the last layer's hidden states. */
  sequenceOutput: Tensor<FloatDType>;
  /** (B, H): tanh(dense(h[CLS])), the pooler's output; null for a backbone built without a pooler. */
  pooledOutput: Tensor<FloatDType> | null;
  /** With outputHiddenStates: the embeddings' output then every layer's output, num_hidden_layers + 1 of (B, S, H). */
  hiddenStates?: Tensor<FloatDType>[];
}

export interface BertForwardOptions {
  /** Also return every layer's hidden states (feature extraction). */
  outputHiddenStates?: boolean;
}

export class BertEmbeddings extends Module {
  readonly wordEmbeddings: Embedding;
  readonly positionEmbeddings: Embedding;
  readonly tokenTypeEmbeddings: Embedding;
  readonly norm: LayerNorm;
  readonly dropout: Dropout;
  private readonly constants = new ConstantCache();

  constructor(readonly config: BertConfig, init: InitOptions) {
    super();
    const h = config.hidden_size;
    const vocabHint = (v: number) =>
      v >= config.vocab_size ? `The tokenizer's vocabulary is larger than the model's: do they belong together?` : v < 0 ? 'Token ids are never negative.' : undefined;
    this.wordEmbeddings = this.child('word_embeddings', new Embedding(config.vocab_size, h, {
      ...init, paddingIdx: config.pad_token_id, names: { input: 'inputIds', rangeName: '(the config\'s vocab_size)', hint: vocabHint },
    }));
    this.positionEmbeddings = this.child('position_embeddings', new Embedding(config.max_position_embeddings, h, init));
    this.tokenTypeEmbeddings = this.child('token_type_embeddings', new Embedding(config.type_vocab_size, h, {
      ...init, names: { input: 'tokenTypeIds', rangeName: '(the config\'s type_vocab_size)' },
    }));
    this.norm = this.child('LayerNorm', new LayerNorm(h, config.layer_norm_eps));
    this.dropout = this.child('dropout', new Dropout(config.hidden_dropout_prob, init.generator));
  }

  /** ids (B, S), tokenTypeIds (B, S) -> (B, S, H) */
  forward(inputIds: Tensor, tokenTypeIds?: Tensor): Tensor<FloatDType> {
    const seq = inputIds.shape[1];
    const positions = this.constants.get('positions', [seq], (i) => i);
    // Without segment ids every token is segment 0: one row, broadcast over the batch.
    const types = tokenTypeIds ?? this.constants.get('segment0', [1], () => 0);
    return tidy(() => {
      const x = add(add(this.wordEmbeddings.forward(inputIds), this.tokenTypeEmbeddings.forward(types)), this.positionEmbeddings.forward(positions));
      return this.dropout.forward(this.norm.forward(x));
    });
  }

  protected override disposeOwn(): void {
    this.constants.dispose();
  }
}

export class BertBackbone extends Module {
  readonly embeddings: BertEmbeddings;
  readonly layers: ModuleList<TransformerEncoderLayer>;
  readonly pooler: Linear | null;
  private readonly constants = new ConstantCache();
  private activations: FloatDType = 'f32';

  /**
   * The float type activations (and their gradients) are stored in from the embeddings' output
   * on: 'f16' halves their memory; weights, statistics and arithmetic stay f32
   * (nn/compute-dtype.ts). 'auto' resolves against the adapter; 'f16' needs shader-f16.
   */
  get dtype(): FloatDType {
    return this.activations;
  }

  set dtype(value: ComputeDType) {
    this.activations = resolveDType(value, 'BertModel.dtype');
  }

  /**
   * `addPoolingLayer: false` leaves out the pooler, as HF does for BertForMaskedLM and
   * BertForQuestionAnswering (their checkpoints then hold exactly HF's tensors).
   */
  constructor(readonly config: BertConfig, init: InitOptions & { addPoolingLayer?: boolean }) {
    super();
    const layers = Array.from({ length: config.num_hidden_layers }, () => new TransformerEncoderLayer(config, init));
    this.embeddings = this.child('embeddings', new BertEmbeddings(config, init));
    this.layers = this.child('encoder.layer', new ModuleList(layers));
    this.pooler = init.addPoolingLayer === false ? null : this.child('pooler.dense', new Linear(config.hidden_size, config.hidden_size, init));
  }

  forward(inputs: BertInputs, options: BertForwardOptions = {}): BertOutput {
    this.checkInputs(inputs);
    return tidy(() => {
      const { inputIds, attentionMask, tokenTypeIds } = inputs;
      const [batch] = inputIds.shape;
      const mask = attentionMask ? paddingMaskToAdditive(attentionMask) : undefined;
      // The embeddings sum and normalise in f32 (three tables, one rounding after), then every
      // layer reads and writes the model's dtype.
      let h = castTo(this.embeddings.forward(inputIds, tokenTypeIds), this.activations);
      const hiddenStates = options.outputHiddenStates ? [h] : null;
      for (const layer of this.layers.items) {
        // A layer frees its intermediates when it returns (the tape keeps what the backward
        // pass needs); its input goes back to the pool too unless the caller asked for it.
        const input = h;
        h = layer.forward(input, mask);
        if (hiddenStates) hiddenStates.push(h);
        else input.dispose();
      }
      let pooledOutput: Tensor<FloatDType> | null = null;
      if (this.pooler) {
        const cls = reshape(gatherRows(h, this.constants.get('cls', [batch, 1], () => 0)), [batch, this.config.hidden_size]);
        pooledOutput = tanh(this.pooler.forward(cls));
      }
      return { sequenceOutput: h, pooledOutput, ...(hiddenStates ? { hiddenStates } : {}) };
    });
  }

  private checkInputs({ inputIds, attentionMask, tokenTypeIds }: BertInputs): void {
    if (inputIds.rank !== 2 || inputIds.dtype !== 'i32') {
      throw new OpError('bert', `inputIds must be (batch, seq) i32, got ${inputIds.dtype} ${shapeStr(inputIds.shape)}`);
    }
    const [batch, seq] = inputIds.shape;
    if (batch === 0 || seq === 0) {
      throw new OpError('bert', `inputIds ${shapeStr(inputIds.shape)} is empty: a batch needs at least one sequence of at least one token`);
    }
    if (seq > this.config.max_position_embeddings) {
      throw new OpError('bert', `sequence length ${seq} exceeds max_position_embeddings (${this.config.max_position_embeddings})`);
    }
    for (const [name, t] of [['attentionMask', attentionMask], ['tokenTypeIds', tokenTypeIds]] as const) {
      if (t && (t.rank !== 2 || t.shape[0] !== inputIds.shape[0] || t.shape[1] !== seq)) {
        throw new OpError('bert', `${name} ${shapeStr(t.shape)} must have the shape of inputIds ${shapeStr(inputIds.shape)}`);
      }
    }
    if (tokenTypeIds && tokenTypeIds.dtype !== 'i32') {
      throw new OpError('bert', `tokenTypeIds must be i32, got ${tokenTypeIds.dtype}`);
    }
    if (attentionMask && attentionMask.dtype === 'f16') {
      throw new OpError('bert', 'attentionMask must be i32, u32 or f32 (1 for a real token, 0 for padding), got f16');
    }
  }

  protected override disposeOwn(): void {
    this.constants.dispose();
  }
}
