// The basic layers: Linear, Embedding, LayerNorm, Dropout. Each gets its gradient from the
// differentiable ops it calls; none has a backward of its own. Initialisation follows Hugging
// Face BERT: weights normal(0, initializer_range), biases 0, LayerNorm gamma 1 and beta 0.
import type { FloatDType } from '../gpu/dtype.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { Activation } from '../autograd/matmul.ts';
import { linear } from '../autograd/matmul.ts';
import { embedding } from '../autograd/embedding.ts';
import type { IdNames } from '../kernels/embedding.ts';
import { layerNorm } from '../autograd/layernorm.ts';
import { dropout } from '../autograd/dropout.ts';
import { Module, Parameter } from './module.ts';
import type { Generator } from './random.ts';

export interface InitOptions {
  /** Source of the initial weights (and of dropout seeds, for Dropout). */
  generator: Generator;
  /** Standard deviation of the normal initialisation (HF initializer_range). Default 0.02. */
  std?: number;
}

export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  /** weight (outFeatures, inFeatures), the torch / HF layout. */
  constructor(readonly inFeatures: number, readonly outFeatures: number, { generator, std = 0.02, bias = true }: InitOptions & { bias?: boolean }) {
    super();
    this.weight = this.param('weight', Parameter.fromHost(generator.normal(outFeatures * inFeatures, std), [outFeatures, inFeatures]));
    this.bias = bias ? this.param('bias', Parameter.fromHost(new Float32Array(outFeatures), [outFeatures], { decay: false })) : null;
  }

  /** x (..., in) -> act(x W^T + b) + residual, (..., out). */
  forward(x: Tensor, options: { activation?: Activation; residual?: Tensor } = {}): Tensor<FloatDType> {
    return linear(x, this.weight.value, this.bias?.value, options);
  }
}

export class Embedding extends Module {
  readonly weight: Parameter;
  private readonly names?: IdNames;

  /** `names` say in errors which input holds a bad id and what its range is called. */
  constructor(readonly count: number, readonly dim: number, { generator, std = 0.02, paddingIdx, names }: InitOptions & { paddingIdx?: number; names?: IdNames }) {
    super();
    this.names = names;
    const w = generator.normal(count * dim, std);
    // HF zeroes the padding token's row at initialisation.
    if (paddingIdx !== undefined) w.fill(0, paddingIdx * dim, (paddingIdx + 1) * dim);
    this.weight = this.param('weight', Parameter.fromHost(w, [count, dim]));
  }

  /** ids (...) i32 -> (..., dim) */
  forward(ids: Tensor): Tensor<FloatDType> {
    return embedding(this.weight.value, ids, this.names, 'f32'); // (f32 rows whatever the table's storage)
  }
}

export class LayerNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;

  /** Parameters are named weight / bias (HF); TF-era checkpoints' gamma / beta are mapped on load. */
  constructor(readonly dim: number, readonly eps = 1e-12) {
    super();
    this.weight = this.param('weight', Parameter.fromHost(new Float32Array(dim).fill(1), [dim], { decay: false }));
    this.bias = this.param('bias', Parameter.fromHost(new Float32Array(dim), [dim], { decay: false }));
  }

  forward(x: Tensor): Tensor<FloatDType> {
    return layerNorm(x, this.weight.value, this.bias.value, this.eps);
  }
}

/** Inverted dropout, active only in train mode; each call draws a fresh seed from the generator. */
export class Dropout extends Module {
  constructor(readonly rate: number, private readonly generator: Generator) {
    super();
    if (!(rate >= 0 && rate < 1)) throw new Error(`Dropout: rate must be in [0, 1), got ${rate}`);
  }

  /** Whether this call would drop anything. */
  get active(): boolean {
    return this.training && this.rate > 0;
  }

  forward<T extends Tensor>(x: T): T | Tensor<FloatDType> {
    return this.active ? dropout(x, this.rate, this.generator.nextSeed()) : x;
  }
}
