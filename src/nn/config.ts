// BERT configuration with Hugging Face config.json field names, so a config reads from and
// writes to config.json unchanged; presets for the published BERT sizes.
import { parseJsonFile } from '../util/json.ts';

export type HiddenAct = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu';

export interface BertConfig {
  model_type: 'bert';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  /** 'gelu' is the exact (erf) GELU of BERT; 'gelu_new' / 'gelu_pytorch_tanh' the tanh approximation. */
  hidden_act: HiddenAct;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  pad_token_id: number;
  position_embedding_type: 'absolute';
  /** Dropout before the classifier; null means hidden_dropout_prob (as HF). */
  classifier_dropout: number | null;
  architectures?: string[];
  /** Classifier labels (HF writes both maps; num_labels is their size). */
  id2label?: Record<string, string>;
  label2id?: Record<string, number>;
  /** Other config.json fields, kept verbatim so a loaded config saves back unchanged. */
  [extra: string]: unknown;
}

/** Hugging Face's BertConfig defaults (bert-base-uncased). */
export const BERT_DEFAULTS: BertConfig = {
  model_type: 'bert',
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  classifier_dropout: null,
};

/** Published names of Google's BERT sizes (Turc et al. 2019 miniatures, base and large). */
export const BERT_SIZES: Record<string, string> = {
  'bert-tiny': 'L-2_H-128_A-2',
  'bert-mini': 'L-4_H-256_A-4',
  'bert-small': 'L-4_H-512_A-8',
  'bert-medium': 'L-8_H-512_A-8',
  'bert-base': 'L-12_H-768_A-12',
  'bert-large': 'L-24_H-1024_A-16',
};

const SIZE_NAME = /L-(\d+)_H-(\d+)_A-(\d+)/;

/** Something that knows its vocabulary size (a tokenizer). */
export interface VocabSource {
  vocabSize: number;
}

/**
 * A config for a named size: 'L-2_H-128_A-2' (any L-_H-_A- name, also inside a longer one such as
 * 'google/bert_uncased_L-4_H-256_A-4'), or an alias ('bert-tiny', 'bert-mini', 'bert-small',
 * 'bert-medium', 'bert-base', 'bert-large'). Intermediate size is 4 x hidden. The vocabulary size
 * comes from `vocab` (a tokenizer) or `overrides.vocab_size`.
 */
export function bertConfig(name: string, overrides: Partial<BertConfig> & { vocab?: VocabSource } = {}): BertConfig {
  const m = SIZE_NAME.exec(BERT_SIZES[name] ?? name);
  if (!m) throw new Error(`bertConfig: unknown size '${name}' (use an L-<layers>_H-<hidden>_A-<heads> name or one of ${Object.keys(BERT_SIZES).join(', ')})`);
  const [layers, hidden, heads] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const { vocab, ...rest } = overrides;
  return validateConfig({
    ...BERT_DEFAULTS,
    num_hidden_layers: layers,
    hidden_size: hidden,
    num_attention_heads: heads,
    intermediate_size: 4 * hidden,
    ...(vocab ? { vocab_size: vocab.vocabSize } : {}),
    ...rest,
  });
}

/** Number of classifier labels the config describes (HF: len(id2label)), or undefined. */
export function numLabels(config: BertConfig): number | undefined {
  return config.id2label ? Object.keys(config.id2label).length : undefined;
}

/** id2label / label2id for n labels, named LABEL_i unless names are given (HF's convention). */
export function labelMaps(n: number, names?: readonly string[]): Pick<BertConfig, 'id2label' | 'label2id'> {
  if (names && names.length !== n) throw new Error(`labelMaps: ${names.length} names for ${n} labels`);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LABELS) throw new Error(`labelMaps: the number of labels must be an integer in [1, ${MAX_LABELS}], got ${n}`);
  const id2label: Record<string, string> = {};
  const label2id: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = names?.[i] ?? `LABEL_${i}`;
    id2label[String(i)] = name;
    label2id[name] = i;
  }
  return { id2label, label2id };
}

/** Parses config.json text or object: HF defaults for missing fields, clear errors for bad ones. */
export function parseConfig(json: string | Record<string, unknown>): BertConfig {
  const raw = (typeof json === 'string' ? parseJsonFile(json, 'config.json') : json) as Record<string, unknown>;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('config.json must hold a JSON object');
  if (raw.model_type !== undefined && raw.model_type !== 'bert') {
    throw new Error(`config.json: model_type '${String(raw.model_type)}' is not supported (only 'bert')`);
  }
  // HF drops fields equal to their defaults when saving; missing means default.
  const config = { ...BERT_DEFAULTS, ...raw, model_type: 'bert' } as BertConfig;
  if (config.classifier_dropout === undefined) config.classifier_dropout = null;
  // A lone class name is read as the one-element list it stands for.
  if (typeof config.architectures === 'string') config.architectures = [config.architectures];
  readNumLabels(config);
  return validateConfig(config);
}

const MAX_LABELS = 1_000_000;

/** num_labels without id2label means LABEL_0..LABEL_{n-1}, as transformers' PretrainedConfig reads it. */
function readNumLabels(c: BertConfig): void {
  const n = c.num_labels;
  if (n === undefined) return;
  if (!Number.isInteger(n) || (n as number) < 1) throw new Error(`BERT config: num_labels must be a positive integer, got ${JSON.stringify(n)}`);
  if ((n as number) > MAX_LABELS) throw new Error(`BERT config: num_labels ${n} is more than ${MAX_LABELS} classes: is the value right?`);
  if (c.id2label === undefined) {
    Object.assign(c, labelMaps(n as number));
  } else if (c.id2label && typeof c.id2label === 'object' && Object.keys(c.id2label).length !== n) {
    throw new Error(`BERT config: num_labels is ${n} but id2label names ${Object.keys(c.id2label).length} labels; make them agree (or drop num_labels)`);
  }
  delete c.num_labels; // the maps say it; saving writes them, as transformers does
}

// Weight matrices past this many elements (1 GiB as f32) are beyond every WebGPU adapter's
// binding limits and a sign of a wrong config value (max_position_embeddings: 1e9).
const MAX_TABLE = 2 ** 28;

const POSITIVE_INTS = ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size'] as const;
const PROBABILITIES = ['hidden_dropout_prob', 'attention_probs_dropout_prob'] as const;

export function validateConfig(c: BertConfig): BertConfig {
  const bad = (field: string, why: string) => new Error(`BERT config: ${field} ${why}`);
  const got = (v: unknown) => (typeof v === 'string' ? `the string ${JSON.stringify(v)}` : JSON.stringify(v));
  for (const f of POSITIVE_INTS) {
    if (!Number.isInteger(c[f]) || c[f] < 1) throw bad(f, `must be a positive integer, got ${got(c[f])}`);
  }
  for (const [f, rows] of [['vocab_size', c.vocab_size], ['max_position_embeddings', c.max_position_embeddings], ['intermediate_size', c.intermediate_size]] as const) {
    if (rows * c.hidden_size > MAX_TABLE) {
      throw bad(f, `${rows} makes a ${rows} x ${c.hidden_size} weight matrix (${((rows * c.hidden_size * 4) / 2 ** 30).toFixed(1)} GiB as f32), beyond any GPU buffer binding: is the value right?`);
    }
  }
  for (const f of ['layer_norm_eps', 'initializer_range'] as const) {
    if (typeof c[f] !== 'number') throw bad(f, `must be a number, got ${got(c[f])}`);
  }
  if (typeof c.hidden_act !== 'string') throw bad('hidden_act', `must be a string such as "gelu", got ${got(c.hidden_act)}`);
  if (c.architectures !== undefined && !(Array.isArray(c.architectures) && c.architectures.every((a) => typeof a === 'string'))) {
    throw bad('architectures', `must be a list of class names such as ["BertForMaskedLM"], got ${got(c.architectures)}`);
  }
  if (c.id2label !== undefined) {
    const ok = c.id2label && typeof c.id2label === 'object' && !Array.isArray(c.id2label)
      && Object.entries(c.id2label).every(([k, v]) => /^\d+$/.test(k) && typeof v === 'string');
    const n = ok ? Object.keys(c.id2label!).length : 0;
    if (!ok || !Array.from({ length: n }, (_, i) => String(i)).every((k) => k in c.id2label!)) {
      throw bad('id2label', `must map "0", "1", ... (every id up to the label count) to class names, got ${got(c.id2label)}`);
    }
  }
  for (const f of PROBABILITIES) {
    if (typeof c[f] !== 'number' || !(c[f] >= 0 && c[f] < 1)) throw bad(f, `must be in [0, 1), got ${JSON.stringify(c[f])}`);
  }
  if (c.classifier_dropout !== null && !(typeof c.classifier_dropout === 'number' && c.classifier_dropout >= 0 && c.classifier_dropout < 1)) {
    throw bad('classifier_dropout', `must be null or in [0, 1), got ${JSON.stringify(c.classifier_dropout)}`);
  }
  if (c.hidden_size % c.num_attention_heads !== 0) {
    throw bad('hidden_size', `(${c.hidden_size}) must be a multiple of num_attention_heads (${c.num_attention_heads})`);
  }
  if (!['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'].includes(c.hidden_act)) {
    throw bad('hidden_act', `'${c.hidden_act}' is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)`);
  }
  if (c.position_embedding_type !== 'absolute') {
    throw bad('position_embedding_type', `'${String(c.position_embedding_type)}' is not supported (only 'absolute')`);
  }
  if (!(c.layer_norm_eps > 0)) throw bad('layer_norm_eps', `must be positive, got ${c.layer_norm_eps}`);
  if (!(c.initializer_range >= 0)) throw bad('initializer_range', `must be >= 0, got ${c.initializer_range}`);
  if (!Number.isInteger(c.pad_token_id) || c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size) {
    throw bad('pad_token_id', `must be a token id in [0, ${c.vocab_size}), got ${got(c.pad_token_id)}`);
  }
  return c;
}
