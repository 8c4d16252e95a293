// The masked-LM head (HF BertLMPredictionHead): dense, activation, LayerNorm, then a decoder
// tied to the token embeddings plus a bias. Like KerasNLP's MaskedLMHead it computes logits only
// at the masked positions, so no vocabulary-wide softmax is taken over every token.
import type { FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { tidy } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { relu } from '../autograd/elementwise.ts';
import { gatherRows } from '../autograd/embedding.ts';
import { crossEntropy } from '../autograd/loss.ts';
import { matmul } from '../autograd/matmul.ts';
import { reshape } from '../autograd/shape.ts';
import type { BertForwardOptions, BertInputs } from './bert.ts';
import type { BertConfig } from './config.ts';
import { LayerNorm, Linear, type InitOptions } from './layers.ts';
import { Module, Parameter } from './module.ts';
import { BertTaskModel, resolveConfig, type ModelOptions } from './pretrained.ts';
import { fusedActivation } from './transformer.ts';
import type { FromPretrainedOptions } from '../hub/pretrained.ts';
import { loadPretrained } from './from-pretrained.ts';

export class MaskedLMHead extends Module {
  readonly dense: Linear;
  readonly norm: LayerNorm;
  readonly bias: Parameter;

  /** `decoder` is the token embedding table (V, H): the output projection shares it (weight tying). */
  constructor(readonly config: BertConfig, readonly decoder: Parameter, init: InitOptions) {
    super();
    this.dense = this.child('transform.dense', new Linear(config.hidden_size, config.hidden_size, init));
    this.norm = this.child('transform.LayerNorm', new LayerNorm(config.hidden_size, config.layer_norm_eps));
    this.bias = this.param('bias', Parameter.fromHost(new Float32Array(config.vocab_size), [config.vocab_size], { decay: false }));
  }

  /** x (..., H) -> logits (..., V) */
  forward(x: Tensor): Tensor<FloatDType> {
    return tidy(() => {
      const fused = fusedActivation(this.config.hidden_act);
      const t = fused ? this.dense.forward(x, { activation: fused }) : relu(this.dense.forward(x));
      return matmul(this.norm.forward(t), this.decoder.value, { transB: true, bias: this.bias.value });
    });
  }
}

export interface MaskedLMInputs extends BertInputs {
  /** (B, P) i32 positions of the masked tokens; logits are computed only there. Without it: every position. */
  maskPositions?: Tensor;
  /** (B, P) i32 token ids to predict at maskPositions ((B, S) without them); -100 marks padding slots. */
  labels?: Tensor;
  /** (B, P) f32 weights of the predictions (KerasNLP's mask_positions weights); default 1. */
  labelWeights?: Tensor;
}

export interface MaskedLMOutput {
  /** (B, P, V) at maskPositions, else (B, S, V). */
  logits: Tensor<FloatDType>;
  /** Mean cross-entropy over the labelled slots (shape []), when labels are given. */
  loss?: Tensor<FloatDType>;
  hiddenStates?: Tensor<FloatDType>[];
}

/** BERT with the masked-LM head (HF BertForMaskedLM; no pooler, as there). */
export class BertForMaskedLM extends BertTaskModel {
  /** Loads a masked-LM model by Hub repo id (`google-bert/bert-base-uncased`, `user/repo@revision`), directory or URL. */
  static fromPretrained(nameOrPathOrUrl: string, options: FromPretrainedOptions = {}): Promise<BertForMaskedLM> {
    return loadPretrained<BertForMaskedLM>(nameOrPathOrUrl, options, 'BertForMaskedLM');
  }

  readonly architecture = 'BertForMaskedLM';
  readonly head: MaskedLMHead;

  constructor(config: BertConfig | string, options: ModelOptions = {}) {
    super(resolveConfig(config), options, false);
    this.head = this.child('cls.predictions', new MaskedLMHead(this.config, this.bert.embeddings.wordEmbeddings.weight, this.init));
  }

  forward(inputs: MaskedLMInputs, options: BertForwardOptions = {}): MaskedLMOutput {
    const { maskPositions, labels, labelWeights } = inputs;
    const [batch] = inputs.inputIds.shape;
    if (maskPositions && (maskPositions.rank !== 2 || maskPositions.shape[0] !== batch)) {
      throw new OpError('BertForMaskedLM', `maskPositions must be (batch, P) with batch ${batch}, got ${shapeStr(maskPositions.shape)}`);
    }
    const slots = maskPositions ? maskPositions.shape : inputs.inputIds.shape;
    if (labels && (labels.rank !== 2 || labels.shape[0] !== slots[0] || labels.shape[1] !== slots[1])) {
      throw new OpError('BertForMaskedLM', `labels ${shapeStr(labels.shape)} must be ${shapeStr(slots)} (one per ${maskPositions ? 'mask position' : 'token'})`);
    }
    return tidy(() => {
      const { sequenceOutput, hiddenStates } = this.bert.forward(inputs, options);
      const rows = maskPositions ? gatherRows(sequenceOutput, maskPositions, { input: 'maskPositions' }) : sequenceOutput;
      const logits = this.head.forward(rows);
      const out: MaskedLMOutput = { logits, ...(hiddenStates ? { hiddenStates } : {}) };
      if (labels) {
        const n = labels.size;
        out.loss = crossEntropy(reshape(logits, [n, this.config.vocab_size]), labels.reshape([n]), {
          weights: labelWeights?.reshape([n]),
          ignoreIndex: -100,
          names: { input: 'labels', classes: "the config's vocab_size" },
        });
      }
      return out;
    });
  }
}
