// A saved pipeline is a Hugging Face model directory plus one small file of pipeline settings:
//   config.json            the model (architectures, id2label / label2id for a classifier)
//   model.safetensors      the weights, transformers' tensor names
//   vocab.txt              the WordPiece vocabulary
//   tokenizer.json         the exact tokenizer (normalizer options, added tokens): what loading uses
//   tokenizer_config.json  transformers' BertTokenizer settings: do_lower_case, strip_accents,
//                          model_max_length (= the pipeline's sequence length), special tokens
//   pipeline.json          the task and its settings (sequence length, padding, doc stride, ...)
// so transformers' from_pretrained / AutoTokenizer read the directory too. In memory the files
// are a record name -> contents (browsers); on disk a storage that Node registers writes each
// file atomically (save.node.ts).
import { WordPieceTokenizer } from '../data/wordpiece-tokenizer.ts';
import { checkpointFiles, modelFromCheckpoint, type LoadOptions, type SaveDType } from '../io/checkpoint.ts';
import { CUSTOM_CLASSIFIER, type BertPretrained } from '../nn/pretrained.ts';
import type { SafetensorsFile } from '../io/safetensors.ts';
import { readShardedSafetensors, SAFETENSORS_INDEX } from '../io/sharded.ts';

export type PipelineTask = 'text-classification' | 'fill-mask' | 'feature-extraction' | 'question-answering';

export type PipelineFiles = Record<string, string | Uint8Array>;

export const PIPELINE_FILE = 'pipeline.json';
export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
const FORMAT = 1;

/** What pipeline.json holds. */
export interface PipelineSettings {
  task: PipelineTask;
  sequenceLength: number;
  [setting: string]: unknown;
}

/** Writes and reads pipeline directories; Node registers one (src/pipelines/save.node.ts). */
export interface PipelineStorage {
  /** Writes the model (config.json + model.safetensors, streamed) and the other files, each atomically. */
  save(dir: string, model: BertPretrained, files: Record<string, string>, options?: { dtype?: SaveDType }): Promise<void>;
  /** Reads every file of the layout that exists in `dir`. */
  load(dir: string): Promise<PipelineFiles>;
}

let storage: PipelineStorage | null = null;

export function setPipelineStorage(s: PipelineStorage | null): void {
  storage = s;
}

export function pipelineStorage(): PipelineStorage {
  if (!storage) {
    throw new Error("saving to and loading from a directory needs Node's file system (import from 'webgpu-bert' in Node); in a browser use toFiles() / fromFiles()");
  }
  return storage;
}

/** transformers' tokenizer_config.json for a BertTokenizer with these settings. */
export function tokenizerConfig(tokenizer: WordPieceTokenizer, sequenceLength: number): Record<string, unknown> {
  const o = tokenizer.normalizer.options;
  const n = tokenizer.names;
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: o.lowercase,
    strip_accents: o.stripAccents,
    tokenize_chinese_chars: o.handleChineseChars,
    model_max_length: sequenceLength,
    unk_token: n.unkToken,
    cls_token: n.clsToken,
    sep_token: n.sepToken,
    pad_token: n.padToken,
    mask_token: n.maskToken,
    clean_up_tokenization_spaces: tokenizer.decoderCleanup,
  };
}

const json = (x: unknown) => `${JSON.stringify(x, null, 2)}\n`;

/** The small text files of a pipeline (everything but config.json and the weights). */
export function pipelineTextFiles(tokenizer: WordPieceTokenizer, settings: PipelineSettings): Record<string, string> {
  // tokenizer.json maps token -> id, so it cannot hold a vocabulary that repeats a token (vocab.txt
  // can: the repeated token takes its last line's id). Such a tokenizer reloads from vocab.txt.
  const unique = new Set(tokenizer.vocab.tokens).size === tokenizer.vocab.size;
  return {
    'vocab.txt': tokenizer.toVocabText(),
    ...(unique ? { [TOKENIZER_FILE]: json(tokenizer.toTokenizerJson()) } : {}),
    [TOKENIZER_CONFIG_FILE]: json(tokenizerConfig(tokenizer, settings.sequenceLength)),
    [PIPELINE_FILE]: json({ format: FORMAT, ...settings }),
  };
}

/** Every file of a pipeline, in memory. */
export async function pipelineFiles(model: BertPretrained, tokenizer: WordPieceTokenizer, settings: PipelineSettings, options: { dtype?: SaveDType } = {}): Promise<PipelineFiles> {
  return { ...(await checkpointFiles(model, options)), ...pipelineTextFiles(tokenizer, settings) };
}

function text(files: PipelineFiles, name: string): string | undefined {
  const f = files[name];
  return f === undefined ? undefined : typeof f === 'string' ? f : new TextDecoder().decode(f);
}

function parseJson(files: PipelineFiles, name: string): Record<string, unknown> | undefined {
  const t = text(files, name);
  if (t === undefined) return undefined;
  try {
    return JSON.parse(t) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${name} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * The tokenizer of a saved directory: tokenizer.json when present (exact), else vocab.txt with
 * tokenizer_config.json's do_lower_case / strip_accents / tokenize_chinese_chars (a transformers
 * directory without a fast tokenizer).
 */
export function tokenizerFromFiles(files: PipelineFiles): WordPieceTokenizer {
  const tj = text(files, TOKENIZER_FILE);
  if (tj !== undefined) return WordPieceTokenizer.fromTokenizerJson(tj);
  const vocab = text(files, 'vocab.txt');
  if (vocab === undefined) throw new Error(`the directory has neither ${TOKENIZER_FILE} nor vocab.txt: save the model with its tokenizer`);
  const c = parseJson(files, TOKENIZER_CONFIG_FILE) ?? {};
  const bool = (k: string) => (typeof c[k] === 'boolean' ? (c[k] as boolean) : undefined);
  const str = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : undefined);
  return WordPieceTokenizer.fromVocab(vocab, {
    lowercase: bool('do_lower_case') ?? true,
    stripAccents: bool('strip_accents'),
    handleChineseChars: bool('tokenize_chinese_chars'),
    unkToken: str('unk_token'),
    clsToken: str('cls_token'),
    sepToken: str('sep_token'),
    padToken: str('pad_token'),
    maskToken: str('mask_token'),
  });
}

/**
 * The settings of a saved pipeline: pipeline.json when present, else derived from a transformers
 * directory (the task from the architecture, the sequence length from tokenizer_config.json's
 * model_max_length or the model's max_position_embeddings).
 */
export function settingsFromFiles(files: PipelineFiles, expected?: PipelineTask): PipelineSettings {
  const p = parseJson(files, PIPELINE_FILE);
  const config = parseJson(files, 'config.json');
  if (!config) throw new Error('the directory has no config.json');
  let settings: PipelineSettings;
  if (p) {
    if (typeof p.format === 'number' && p.format > FORMAT) throw new Error(`${PIPELINE_FILE} has format ${p.format}; this version reads format ${FORMAT}`);
    const { format: _f, ...rest } = p;
    settings = rest as PipelineSettings;
  } else {
    const arch = Array.isArray(config.architectures) ? String(config.architectures[0]) : 'BertModel';
    const task: PipelineTask = arch === 'BertForSequenceClassification' || arch === CUSTOM_CLASSIFIER ? 'text-classification'
      : arch === 'BertForMaskedLM' || arch === 'BertForPreTraining' ? 'fill-mask'
      : arch === 'BertForQuestionAnswering' ? 'question-answering' : 'feature-extraction';
    const tc = parseJson(files, TOKENIZER_CONFIG_FILE) ?? {};
    const maxPos = typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : 512;
    const m = typeof tc.model_max_length === 'number' ? tc.model_max_length : maxPos;
    settings = { task, sequenceLength: Math.min(m, maxPos) };
  }
  if (expected && settings.task !== expected) throw new Error(`the directory holds a '${settings.task}' pipeline, not '${expected}'`);
  return settings;
}

/** The model of a saved directory (all tensors validated before any is uploaded). */
export function modelFromFiles(files: PipelineFiles, options: LoadOptions = {}): BertPretrained {
  const config = text(files, 'config.json');
  if (config === undefined) throw new Error('the directory has no config.json');
  const { model, report } = modelFromCheckpoint(config, weightsFromFiles(files), options);
  if (report.missing.length) {
    model.dispose();
    throw new Error(`model.safetensors lacks ${report.missing.length} parameters of ${model.architecture} (${report.missing.slice(0, 4).join(', ')}...): not a complete pipeline`);
  }
  return model;
}

/** model.safetensors, or the shards model.safetensors.index.json names. */
export function weightsFromFiles(files: PipelineFiles): Uint8Array | SafetensorsFile {
  const single = files['model.safetensors'];
  if (single instanceof Uint8Array) return single;
  const index = text(files, SAFETENSORS_INDEX);
  if (index !== undefined) {
    return readShardedSafetensors(index, (name) => {
      const f = files[name];
      return f instanceof Uint8Array ? f : undefined;
    });
  }
  throw new Error(`the directory has neither model.safetensors nor ${SAFETENSORS_INDEX}`);
}
