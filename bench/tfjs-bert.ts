// The same BERT masked-LM as src/nn/masked_lm.ts, written in tfjs-core ops, for bench/train.ts:
// token + position + segment-0 embeddings, post-LN encoder layers (multi-head attention under an
// additive key padding mask, exact GELU), the head (dense, GELU, LayerNorm, decoder tied to the
// token embeddings plus a bias) at the masked positions only, mean sparse cross-entropy, and
// AdamW as src/optim/adamw.ts does it (global-norm clipping, decoupled decay, bias corrections).
// It runs on whichever tfjs backend is active. Parameters take our names (HF's), so weights copy
// across one to one.
import type { Tf } from './peers.ts';
import type { BertConfig } from '../src/nn/config.ts';

type T = import('@tensorflow/tfjs-core').Tensor;
type Variable = import('@tensorflow/tfjs-core').Variable;

/** One parameter as it leaves our model: values, shape, and whether AdamW decays it. */
export interface HostParam {
  name: string;
  shape: number[];
  data: Float32Array;
  decay: boolean;
}

/** A masked-LM batch on the host, as both libraries receive it. */
export interface HostBatch {
  batch: number;
  seq: number;
  /** (B, S) token ids with [MASK] at the masked positions. */
  inputIds: Int32Array;
  /** (B, S) 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  /** (B, P) positions of the masked tokens. */
  maskPositions: Int32Array;
  /** (B, P) the original ids there. */
  labels: Int32Array;
  masksPerRow: number;
}

export interface TfAdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  maxGradNorm?: number;
}

export class TfBertForMaskedLM {
  readonly vars = new Map<string, Variable>();
  private readonly decay = new Map<string, boolean>();
  private readonly moments = new Map<string, { m: Variable; v: Variable }>();
  /** tfjs variable names are process-wide: ours are prefixed by the instance, and mapped back here. */
  private readonly byVarName = new Map<string, string>();
  private updates = 0;
  private static instances = 0;

  constructor(private readonly tf: Tf, readonly config: BertConfig, params: readonly HostParam[]) {
    const prefix = `tfbert${TfBertForMaskedLM.instances++}/`;
    for (const p of params) {
      this.vars.set(p.name, tf.variable(tf.tensor(p.data, p.shape, 'float32'), true, prefix + p.name));
      this.decay.set(p.name, p.decay);
      this.byVarName.set(prefix + p.name, p.name);
    }
  }

  private w(name: string): Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`TfBertForMaskedLM: no parameter '${name}'`);
    return v;
  }

  /**
   * table[ids] whose gradient is a scatter-add (tf.gather's gradient needs UnsortedSegmentSum,
   * which tfjs-wasm does not have); the same on every backend, so all run the same model.
   */
  private gatherRows(table: T, ids: Int32Array): T {
    const tf = this.tf;
    const gather = tf.customGrad((...args: unknown[]) => {
      const [t, i, save] = args as [T, T, (saved: T[]) => void];
      save([i]);
      return {
        value: tf.gather(t, i),
        gradFunc: (dy, saved) => [tf.scatterND(tf.expandDims(saved[0], 1), dy as T, t.shape), tf.zerosLike(saved[0])],
      };
    });
    return gather(table, tf.tensor1d(ids, 'int32'));
  }

  private linear(x: T, prefix: string): T {
    return this.tf.add(this.tf.matMul(x, this.w(`${prefix}.weight`), false, true), this.w(`${prefix}.bias`));
  }

  private layerNorm(x: T, prefix: string): T {
    const tf = this.tf;
    const { mean, variance } = tf.moments(x, -1, true);
    const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.config.layer_norm_eps)));
    return tf.add(tf.mul(y, this.w(`${prefix}.weight`)), this.w(`${prefix}.bias`));
  }

  /** Exact GELU: 0.5 x (1 + erf(x / sqrt 2)), as hidden_act 'gelu'. */
  private gelu(x: T): T {
    const tf = this.tf;
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  }

  /** The last layer's hidden states, (B*S, H). */
  encode(b: HostBatch): T {
    const tf = this.tf;
    const { hidden_size: H, num_attention_heads: A } = this.config;
    const { batch: B, seq: S } = b;
    const D = H / A;
    // Padding keys get -1e9 (ours: -inf; both give exp() = 0 exactly), broadcast over heads and queries.
    const maskAdd = tf.reshape(tf.mul(tf.sub(1, tf.tensor2d(b.attentionMask, [B, S], 'float32')), -1e9), [B, 1, 1, S]);
    const pos = tf.slice(this.w('bert.embeddings.position_embeddings.weight'), [0, 0], [S, H]);
    const seg0 = tf.slice(this.w('bert.embeddings.token_type_embeddings.weight'), [0, 0], [1, H]);
    const words = tf.reshape(this.gatherRows(this.w('bert.embeddings.word_embeddings.weight'), b.inputIds), [B, S, H]);
    let h = this.layerNorm(tf.reshape(tf.add(tf.add(words, seg0), pos), [B * S, H]), 'bert.embeddings.LayerNorm');
    const heads = (x: T) => tf.reshape(tf.transpose(tf.reshape(x, [B, S, A, D]), [0, 2, 1, 3]), [B * A, S, D]);
    for (let l = 0; l < this.config.num_hidden_layers; l++) {
      const p = `bert.encoder.layer.${l}`;
      const q = heads(this.linear(h, `${p}.attention.self.query`));
      const k = heads(this.linear(h, `${p}.attention.self.key`));
      const v = heads(this.linear(h, `${p}.attention.self.value`));
      const scores = tf.add(tf.reshape(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D)), [B, A, S, S]), maskAdd);
      const probs = tf.reshape(tf.softmax(scores), [B * A, S, S]);
      const context = tf.reshape(tf.transpose(tf.reshape(tf.matMul(probs, v), [B, A, S, D]), [0, 2, 1, 3]), [B * S, H]);
      const a = this.layerNorm(tf.add(this.linear(context, `${p}.attention.output.dense`), h), `${p}.attention.output.LayerNorm`);
      const inner = this.gelu(this.linear(a, `${p}.intermediate.dense`));
      h = this.layerNorm(tf.add(this.linear(inner, `${p}.output.dense`), a), `${p}.output.LayerNorm`);
    }
    return h;
  }

  /** Mean cross-entropy of the masked positions' predictions. */
  loss(b: HostBatch): T {
    const tf = this.tf;
    const V = this.config.vocab_size;
    const rows = Int32Array.from(b.maskPositions, (pos, i) => Math.floor(i / b.masksPerRow) * b.seq + pos);
    const x = this.gatherRows(this.encode(b), rows);
    const t = this.layerNorm(this.gelu(this.linear(x, 'cls.predictions.transform.dense')), 'cls.predictions.transform.LayerNorm');
    const logits = tf.add(tf.matMul(t, this.w('bert.embeddings.word_embeddings.weight'), false, true), this.w('cls.predictions.bias'));
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(b.labels, 'int32'), V)), -1);
    return tf.neg(tf.mean(picked));
  }

  /** One AdamW step on this batch; returns the loss (a scalar the caller disposes). */
  trainStep(b: HostBatch, o: TfAdamWOptions): T {
    const tf = this.tf;
    const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-6, weightDecay = 0.01, maxGradNorm } = o;
    const { value, grads } = tf.variableGrads(() => this.loss(b) as import('@tensorflow/tfjs-core').Scalar, [...this.vars.values()]);
    this.updates++;
    const bc1 = 1 - beta1 ** this.updates;
    const bc2 = 1 - beta2 ** this.updates;
    tf.tidy(() => {
      const varNames = Object.keys(grads);
      let scale: T | number = 1;
      if (maxGradNorm !== undefined) {
        // Pairwise: tfjs-webgpu's addN over many tensors is invalid on adapters with 8 storage buffers per stage.
        let sums: T[] = varNames.map((n) => tf.sum(tf.square(grads[n])));
        while (sums.length > 1) sums = sums.flatMap((s, i) => (i % 2 ? [] : [i + 1 < sums.length ? tf.add(s, sums[i + 1]) : s]));
        scale = tf.minimum(1, tf.div(maxGradNorm, tf.add(tf.sqrt(sums[0]), 1e-6)));
      }
      for (const varName of varNames) {
        const n = this.byVarName.get(varName)!;
        const p = this.w(n);
        let mv = this.moments.get(n);
        if (!mv) {
          mv = { m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false) };
          this.moments.set(n, mv);
        }
        const g = tf.mul(grads[varName], scale);
        const m = tf.add(tf.mul(mv.m, beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(mv.v, beta2), tf.mul(tf.square(g), 1 - beta2));
        mv.m.assign(m);
        mv.v.assign(v);
        const wd = this.decay.get(n) ? weightDecay : 0;
        const step = tf.div(tf.mul(m, lr / bc1), tf.add(tf.mul(tf.sqrt(v), 1 / Math.sqrt(bc2)), eps));
        p.assign(tf.sub(tf.mul(p, 1 - lr * wd), step));
      }
    });
    tf.dispose(Object.values(grads));
    return value;
  }

  /** Bytes of the weights and AdamW moments this model holds. */
  persistentBytes(): number {
    const all = [...this.vars.values(), ...[...this.moments.values()].flatMap((x) => [x.m, x.v])];
    return all.reduce((n, t) => n + 4 * t.size, 0);
  }

  dispose(): void {
    this.tf.dispose([...this.vars.values(), ...[...this.moments.values()].flatMap((x) => [x.m, x.v])]);
    this.vars.clear();
    this.moments.clear();
  }
}
