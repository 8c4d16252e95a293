// Hugging Face checkpoints for the BERT models: tensor names and layouts are transformers'
// (`bert.encoder.layer.0.attention.self.query.weight`, `cls.predictions.bias`, `classifier.weight`,
// `qa_outputs.weight`, ...), so `from_pretrained` reads what this writes and this reads what HF
// downloads. Loading validates every tensor before any is uploaded: a load either completes or
// leaves the model untouched. No Node APIs here (see checkpoint.node.ts for directories).
import type { FloatDType } from '../gpu/dtype.ts';
import type { Module, Parameter } from '../nn/module.ts';
import { f32ToF16Bits } from '../gpu/dtype.ts';
import { engine } from '../gpu/runtime.ts';
import { parseConfig, type BertConfig } from '../nn/config.ts';
import { BertClassifier } from '../nn/classifier.ts';
import { BertForMaskedLM } from '../nn/masked_lm.ts';
import { BertModel, CUSTOM_CLASSIFIER, type BertArchitecture, type BertPretrained, type ModelOptions } from '../nn/pretrained.ts';
import { BertForQuestionAnswering } from '../nn/question_answering.ts';
import { readSafetensors, toFloat16Bits, toFloat32, writeSafetensors, type SafetensorsFile, type TensorToWrite } from './safetensors.ts';

/** What a load did, in HF's terms. */
export interface LoadReport {
  /** Model parameters set from the checkpoint. */
  loaded: string[];
  /** Model parameters the checkpoint lacks: they keep their fresh initialisation (a new head). */
  missing: string[];
  /** Checkpoint tensors the model has no place for (another task's head): ignored. */
  unexpected: string[];
  /** Checkpoint tensors that are not parameters (position_ids buffers) or are tied copies: skipped silently. */
  skipped: string[];
  /** Human-readable lines about the above (empty when everything matched). */
  notes: string[];
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** A tokenizer that can be saved next to the weights. */
export interface VocabWriter {
  toVocabText(): string;
}

// Tensors transformers stores that are not parameters: registered buffers.
const BUFFERS = /(^|\.)(position_ids|token_type_ids)$/;
// Copies of a parameter that HF ties: the decoder shares the word embeddings, and its bias is cls.predictions.bias.
const TIED: Record<string, string> = {
  'cls.predictions.decoder.weight': 'bert.embeddings.word_embeddings.weight',
  'cls.predictions.decoder.bias': 'cls.predictions.bias',
};

/** TF-era names (LayerNorm.gamma / beta) as transformers renames them on load. */
function modernName(name: string): string {
  return name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
}

/**
 * Maps every checkpoint tensor name onto the model's parameter paths: modernised, and with the
 * backbone prefix added or removed when a bare BertModel checkpoint meets a task model or the
 * other way round (as transformers' base_model_prefix handling does).
 */
function alignNames(names: string[], basePrefix: string): Map<string, string> {
  const modern = names.map(modernName);
  const hasPrefix = modern.some((n) => n.startsWith('bert.'));
  const out = new Map<string, string>();
  modern.forEach((m, i) => {
    let name = m;
    if (basePrefix && !hasPrefix && /^(embeddings|encoder|pooler)\./.test(name)) name = `${basePrefix}.${name}`;
    if (!basePrefix && name.startsWith('bert.')) name = name.slice(5);
    out.set(names[i], name);
  });
  return out;
}

export interface LoadPlan {
  assignments: { param: Parameter; name: string; values: Float32Array | Uint16Array }[];
  report: LoadReport;
}

export interface PlanOptions {
  /**
   * Load even when the checkpoint lacks backbone weights that the config describes (a config with
   * more layers than the weights, say): they keep their fresh initialisation, listed in a warning.
   * Without it that is an error. A missing head (a classifier on an MLM checkpoint) is always fine.
   */
  allowMissingWeights?: boolean;
  /**
   * 'f16' stores the weight matrices and embedding tables in f16 (half the weight memory; an f16
   * checkpoint's values go to the GPU as they are, no f32 round trip). For inference: such a model
   * cannot be trained (its f16 weights are frozen). Biases and LayerNorm stay f32. Default 'f32'.
   */
  weights?: FloatDType;
}

// Backbone parameters: embeddings and encoder layers (the pooler is as optional as a head).
const BACKBONE = /^(bert\.)?(embeddings|encoder)\./;

/** Missing parameter names, with encoder layers collapsed: `encoder.layer.{2,3}.* (32 tensors)`. */
function describeMissing(names: string[]): string {
  const layers = new Map<string, Set<number>>();
  const rest: string[] = [];
  for (const n of names) {
    const m = /^(.*encoder\.layer)\.(\d+)\./.exec(n);
    if (m) (layers.get(m[1]) ?? layers.set(m[1], new Set()).get(m[1])!).add(Number(m[2]));
    else rest.push(n);
  }
  const parts = [...layers].map(([prefix, ids]) => `every tensor of ${prefix}.{${[...ids].sort((a, b) => a - b).join(',')}}`);
  return [...parts, ...(rest.length ? [summarise(rest)] : [])].join('; ');
}

/** Validates a checkpoint against a model without changing it. Throws CheckpointError naming the tensor. */
export function planLoad(model: BertPretrained, file: SafetensorsFile, options: PlanOptions = {}): LoadPlan {
  const params = new Map(model.namedParameters());
  const aligned = alignNames([...file.tensors.keys()], model.basePrefix);
  const targets = new Set(aligned.values());
  const byTarget = new Map<string, string>(); // model path -> checkpoint name
  const report: LoadReport = { loaded: [], missing: [], unexpected: [], skipped: [], notes: [] };
  for (const [source, target] of aligned) {
    const tiedTo = TIED[target];
    if (BUFFERS.test(target)) report.skipped.push(source);
    else if (params.has(target)) {
      if (byTarget.has(target)) throw new CheckpointError(`tensors '${byTarget.get(target)}' and '${source}' both map to parameter '${target}'`);
      byTarget.set(target, source);
    } else if (tiedTo && params.has(tiedTo)) {
      // The tied copy stands in for its parameter only when the checkpoint lacks the original.
      if (targets.has(tiedTo)) report.skipped.push(source);
      else byTarget.set(tiedTo, source);
    } else report.unexpected.push(source);
  }
  const assignments: LoadPlan['assignments'] = [];
  for (const [name, param] of params) {
    const source = byTarget.get(name);
    if (!source) {
      report.missing.push(name);
      continue;
    }
    const info = file.tensors.get(source)!;
    const expected = param.shape;
    if (info.shape.length !== expected.length || info.shape.some((d, i) => d !== expected[i])) {
      throw new CheckpointError(`tensor '${source}' has shape [${info.shape.join(', ')}] but the model (${describeConfig(model.config)}) expects [${expected.join(', ')}] for '${name}'`);
    }
    let values: Float32Array | Uint16Array;
    try {
      values = options.weights === 'f16' && expected.length === 2 ? toFloat16Bits(file, source) : toFloat32(file, source);
    } catch (e) {
      throw new CheckpointError(`tensor '${source}': ${(e as Error).message}`);
    }
    assignments.push({ param, name, values });
    report.loaded.push(name);
  }
  if (!assignments.length) throw new CheckpointError(`no tensor of the checkpoint matches a parameter of ${model.architecture} (checkpoint tensors: ${[...file.tensors.keys()].slice(0, 5).join(', ')}...)`);
  const missingBackbone = report.missing.filter((n) => BACKBONE.test(n));
  if (missingBackbone.length && !options.allowMissingWeights) {
    throw new CheckpointError(
      `the checkpoint lacks ${missingBackbone.length} backbone parameters that the config (${describeConfig(model.config)}) describes: ${describeMissing(missingBackbone)}. `
      + 'Check that config.json belongs to these weights, or pass { allowMissingWeights: true } to load anyway with them initialised fresh.');
  }
  if (report.missing.length) report.notes.push(`${report.missing.length} parameters are not in the checkpoint and keep their fresh initialisation (train them before use): ${describeMissing(report.missing)}`);
  if (report.unexpected.length) report.notes.push(`${report.unexpected.length} checkpoint tensors have no place in ${model.architecture} and were ignored: ${summarise(report.unexpected)}`);
  return { assignments, report };
}

function summarise(names: string[]): string {
  return names.length <= 6 ? names.join(', ') : `${names.slice(0, 6).join(', ')} and ${names.length - 6} more`;
}

function describeConfig(c: BertConfig): string {
  return `vocab_size ${c.vocab_size}, hidden_size ${c.hidden_size}, ${c.num_hidden_layers} layers, intermediate_size ${c.intermediate_size}, max_position_embeddings ${c.max_position_embeddings}, type_vocab_size ${c.type_vocab_size}`;
}

/** Uploads a validated plan. */
export function applyLoad(plan: LoadPlan): void {
  for (const { param, values } of plan.assignments) {
    if (values instanceof Uint16Array) param.storeAs('f16');
    param.assign(values);
  }
}

/** Validates then loads safetensors bytes into an existing model (all or nothing). */
export function loadWeights(model: BertPretrained, weights: Uint8Array | SafetensorsFile, label = 'model.safetensors', options: PlanOptions = {}): LoadReport {
  const file = weights instanceof Uint8Array ? readSafetensors(weights, label) : weights;
  const plan = planLoad(model, file, options);
  applyLoad(plan);
  return plan.report;
}

// ------------------------------------------------------------------ models from config.json

export interface LoadOptions extends ModelOptions, PlanOptions {
  /** Build this architecture instead of config.json's first `architectures` entry (e.g. a classifier on an MLM checkpoint). */
  architecture?: BertArchitecture;
  /** For BertForSequenceClassification: number of labels when the config has no id2label. */
  numLabels?: number;
}

/** The model class for an architecture name; HF's BertForPreTraining checkpoints load as BertForMaskedLM. */
export function createModel(config: BertConfig, options: LoadOptions = {}): BertPretrained {
  const requested = options.architecture ?? config.architectures?.[0] ?? 'BertModel';
  switch (requested) {
    case 'BertForMaskedLM':
    case 'BertForPreTraining':
      return new BertForMaskedLM(config, options);
    case 'BertForSequenceClassification':
    case CUSTOM_CLASSIFIER:
      return new BertClassifier(config, { ...options, numLabels: options.numLabels });
    case 'BertForQuestionAnswering':
      return new BertForQuestionAnswering(config, options);
    case 'BertModel':
      return new BertModel(config, options);
    default:
      throw new CheckpointError(`architecture '${requested}' is not supported (BertModel, BertForMaskedLM, BertForPreTraining, BertForSequenceClassification, ${CUSTOM_CLASSIFIER}, BertForQuestionAnswering)`);
  }
}

/** Builds the model config.json describes and loads the weights into it; nothing is left allocated on failure. */
export function modelFromCheckpoint(configJson: string | Record<string, unknown>, weights: Uint8Array | SafetensorsFile, options: LoadOptions = {}): { model: BertPretrained; report: LoadReport } {
  const config = parseConfig(configJson);
  const file = weights instanceof Uint8Array ? readSafetensors(weights) : weights;
  return engine().allOrNothing(() => {
    const model = createModel(config, options);
    const plan = planLoad(model, file, options);
    applyLoad(plan);
    return { model, report: plan.report };
  });
}

// ------------------------------------------------------------------ saving

/** How a saved checkpoint stores its weights: float32, or float16 at half the size (torch_dtype float16). */
export type SaveDType = 'float32' | 'float16';

export interface SaveOptions {
  /** Writes vocab.txt too. */
  tokenizer?: VocabWriter;
  /** Default 'float32'. float16 rounds each weight to nearest (relative error <= 2^-11). */
  dtype?: SaveDType;
}

/** config.json text for a model, as transformers writes it (sorted keys, 2-space indent). */
export function configText(model: BertPretrained, dtype: SaveDType = 'float32'): string {
  const json: Record<string, unknown> = { ...model.configJson(), torch_dtype: dtype };
  const sorted = Object.fromEntries(Object.keys(json).sort().map((k) => [k, json[k]]));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

/** The safetensors dtype of a SaveDType; an unknown one throws before anything is written. */
export function safetensorsDType(dtype: SaveDType = 'float32'): 'F32' | 'F16' {
  if (dtype === 'float32') return 'F32';
  if (dtype === 'float16') return 'F16';
  throw new CheckpointError(`save: dtype must be 'float32' or 'float16', got ${JSON.stringify(dtype)}`);
}

/** A parameter's values as stored: F32 as is, or F16 bits, refusing a finite value that rounds to infinity. */
export function storedValues(name: string, values: Float32Array, dtype: SaveDType = 'float32'): Float32Array | Uint16Array {
  if (safetensorsDType(dtype) === 'F32') return values;
  const bits = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    bits[i] = f32ToF16Bits(values[i]);
    if ((bits[i] & 0x7fff) === 0x7c00 && Number.isFinite(values[i])) {
      throw new CheckpointError(`save: parameter '${name}' holds ${values[i]} at index ${i}, outside float16's range (+-65504); save it as float32`);
    }
  }
  return bits;
}

/** The tensors a checkpoint holds for a model, in HF names (downloaded from the GPU). */
export async function modelTensors(model: Module, dtype: SaveDType = 'float32'): Promise<TensorToWrite[]> {
  const named = model.namedParameters();
  const values = await Promise.all(named.map(([, p]) => p.data()));
  return named.map(([name, p], i) => ({ name, dtype: safetensorsDType(dtype), shape: [...p.shape], data: storedValues(name, values[i], dtype) }));
}

/** The files of a checkpoint directory, in memory (for browsers; Node streams them, see checkpoint.node.ts). */
export async function checkpointFiles(model: BertPretrained, options: SaveOptions = {}): Promise<Record<string, string | Uint8Array>> {
  const files: Record<string, string | Uint8Array> = {
    'config.json': configText(model, options.dtype),
    'model.safetensors': writeSafetensors(await modelTensors(model, options.dtype), SAFETENSORS_METADATA),
  };
  if (options.tokenizer) files['vocab.txt'] = options.tokenizer.toVocabText();
  return files;
}

/** transformers refuses safetensors files whose metadata lacks a known format. */
export const SAFETENSORS_METADATA = { format: 'pt' } as const;
