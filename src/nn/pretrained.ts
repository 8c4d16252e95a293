// What every saveable BERT model shares: its config, its generator (initialisation and dropout
// seeds), and the Hugging Face architecture name that config.json records.
import type { FloatDType } from '../gpu/dtype.ts';
import type { ComputeDType } from './compute-dtype.ts';
import { bertConfig, parseConfig, validateConfig, type BertConfig } from './config.ts';
import { BertBackbone } from './bert.ts';
import type { InitOptions } from './layers.ts';
import { Module } from './module.ts';
import { Generator } from './random.ts';
import type { FromPretrainedOptions } from '../hub/pretrained.ts';
import { loadPretrained } from './from-pretrained.ts';

/**
 * config.json's architecture names. `WebGpuBertForSequenceClassification` is this library's
 * classifier with a head transformers has no class for (max pooling, a hidden dense + ReLU layer):
 * saving it as BertForSequenceClassification would let transformers load it as a different model.
 */
export type BertArchitecture = 'BertModel' | 'BertForMaskedLM' | 'BertForSequenceClassification' | 'WebGpuBertForSequenceClassification' | 'BertForQuestionAnswering';

export const CUSTOM_CLASSIFIER = 'WebGpuBertForSequenceClassification';

export interface ModelOptions {
  /** Seed of the generator that initialises the weights and draws dropout seeds. Default 0. */
  seed?: number;
  /** Or a generator to share (its state is part of a training checkpoint). */
  generator?: Generator;
}

/** A model that checkpoints save and load (src/io). */
export interface BertPretrained extends Module {
  readonly config: BertConfig;
  readonly generator: Generator;
  readonly architecture: BertArchitecture;
  /** Path of the backbone inside the model: 'bert' for task models, '' for BertModel itself. */
  readonly basePrefix: string;
  /** config.json for this model (HF fields, architectures set). */
  configJson(): BertConfig;
  /** The float type activations are stored in (nn/compute-dtype.ts); set 'f32', 'f16' or 'auto'. */
  get dtype(): FloatDType;
  set dtype(value: ComputeDType);
}

export function resolveConfig(config: BertConfig | string): BertConfig {
  return typeof config === 'string' ? bertConfig(config) : validateConfig(parseConfig({ ...config }));
}

export function generatorFor(options: ModelOptions): Generator {
  return options.generator ?? new Generator(options.seed ?? 0);
}

/** A backbone under `bert.` with a task head (HF BertFor*): the config, generator and backbone they share. */
export abstract class BertTaskModel extends Module implements BertPretrained {
  abstract readonly architecture: BertArchitecture;
  readonly basePrefix = 'bert';
  readonly config: BertConfig;
  readonly generator: Generator;
  readonly bert: BertBackbone;
  /** How the head's layers are initialised: the model's generator, the config's initializer_range. */
  protected readonly init: InitOptions;

  protected constructor(config: BertConfig, options: ModelOptions, addPoolingLayer: boolean) {
    super();
    this.config = config;
    this.generator = generatorFor(options);
    this.init = { generator: this.generator, std: config.initializer_range };
    this.bert = this.child('bert', new BertBackbone(config, { ...this.init, addPoolingLayer }));
  }

  /** The float type activations are stored in ('f32' | 'f16'; 'auto' resolves against the adapter). Weights stay f32. */
  get dtype(): FloatDType {
    return this.bert.dtype;
  }

  set dtype(value: ComputeDType) {
    this.bert.dtype = value;
  }

  configJson(): BertConfig {
    return { ...this.config, architectures: [this.architecture] };
  }
}

/** The bare backbone as a saveable model (HF BertModel: parameter paths without a 'bert.' prefix). */
export class BertModel extends BertBackbone implements BertPretrained {
  /** Loads the bare backbone (of any BERT checkpoint) by Hub repo id (`google-bert/bert-base-uncased`, `user/repo@revision`), directory or URL. */
  static fromPretrained(nameOrPathOrUrl: string, options: FromPretrainedOptions = {}): Promise<BertModel> {
    return loadPretrained<BertModel>(nameOrPathOrUrl, options, 'BertModel');
  }

  readonly architecture = 'BertModel';
  readonly basePrefix = '';
  readonly generator: Generator;

  constructor(config: BertConfig | string, options: ModelOptions & { addPoolingLayer?: boolean } = {}) {
    const c = resolveConfig(config);
    const generator = generatorFor(options);
    super(c, { generator, std: c.initializer_range, addPoolingLayer: options.addPoolingLayer });
    this.generator = generator;
  }

  configJson(): BertConfig {
    return { ...this.config, architectures: [this.architecture] };
  }
}
