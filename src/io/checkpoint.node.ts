// Checkpoint directories on disk (Node): config.json + model.safetensors (+ vocab.txt), the layout
// transformers' save_pretrained writes and from_pretrained reads. Every file is written to a
// temporary name in the same directory, flushed, then renamed over the old one, so a crash or a
// full disk never leaves a half-written checkpoint behind.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BertPretrained } from '../nn/pretrained.ts';
import { configText, loadWeights, modelFromCheckpoint, safetensorsDType, SAFETENSORS_METADATA, storedValues, CheckpointError, type LoadOptions, type LoadReport, type SaveOptions } from './checkpoint.ts';
import { planSafetensors, readSafetensors, tensorBytes, type TensorToWrite } from './safetensors.ts';

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const VOCAB_FILE = 'vocab.txt';

/**
 * Writes `path` atomically: the chunks go to a temporary file beside it, which is flushed to disk
 * and renamed over `path`. Chunks may be produced lazily (an async iterable), so a large file
 * never needs to be in memory at once.
 */
export async function writeFileAtomic(path: string, chunks: string | Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    const parts = typeof chunks === 'string' ? [new TextEncoder().encode(chunks)] : chunks instanceof Uint8Array ? [chunks] : chunks;
    for await (const chunk of parts) {
      let at = 0;
      while (at < chunk.byteLength) at += (await handle.write(chunk, at, chunk.byteLength - at)).bytesWritten;
    }
    await handle.sync();
    await handle.close();
    await rename(tmp, path);
  } catch (e) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  // Make the rename itself durable where the platform allows syncing a directory.
  const dir = await open(dirname(path), 'r').catch(() => null);
  await dir?.sync().catch(() => {});
  await dir?.close();
}

/** Streams a safetensors file: the header, then each tensor's bytes as `load` produces them. */
export async function writeSafetensorsFile(path: string, tensors: readonly Omit<TensorToWrite, 'data'>[], load: (name: string) => Promise<ArrayBufferView>, metadata: Record<string, string> = {}): Promise<void> {
  const { header, order } = planSafetensors(tensors, metadata);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield header;
    for (const p of order) yield tensorBytes({ ...p, data: await load(p.name) }, p);
  }
  await writeFileAtomic(path, chunks());
}

/**
 * Saves `model` as a Hugging Face checkpoint directory: config.json, model.safetensors (float32,
 * or float16 with `dtype: 'float16'`; HF tensor names; tied weights stored once, as transformers
 * does) and vocab.txt when a tokenizer is given. Parameters are downloaded one at a time, so host
 * memory holds one tensor at a time.
 */
export async function saveCheckpoint(dir: string, model: BertPretrained, options: SaveOptions = {}): Promise<void> {
  const { dtype = 'float32' } = options;
  const stored = safetensorsDType(dtype);
  await mkdir(dir, { recursive: true });
  const params = new Map(model.namedParameters());
  const entries = [...params].map(([name, p]) => ({ name, dtype: stored, shape: [...p.shape] }));
  await writeSafetensorsFile(join(dir, WEIGHTS_FILE), entries, async (name) => storedValues(name, await params.get(name)!.data(), dtype), SAFETENSORS_METADATA);
  await writeFileAtomic(join(dir, CONFIG_FILE), configText(model, dtype));
  if (options.tokenizer) await writeFileAtomic(join(dir, VOCAB_FILE), options.tokenizer.toVocabText());
}

export interface LoadedCheckpoint {
  model: BertPretrained;
  report: LoadReport;
  /** vocab.txt's text when the directory has one (give it to the tokenizer). */
  vocab?: string;
}

export interface LoadCheckpointOptions extends LoadOptions {
  /** Print nothing (by default the report's notes go to console.warn, as transformers logs them). */
  quiet?: boolean;
}

/**
 * Loads a checkpoint directory as transformers lays it out (config.json, model.safetensors,
 * vocab.txt). The architecture comes from config.json unless `options.architecture` says
 * otherwise; tensors of other heads are ignored and missing heads are initialised, both noted.
 */
export async function loadCheckpoint(dir: string, options: LoadCheckpointOptions = {}): Promise<LoadedCheckpoint> {
  const configPath = join(dir, CONFIG_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  for (const path of [configPath, weightsPath]) {
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) {
      const hint = path === weightsPath && (await stat(join(dir, 'pytorch_model.bin')).catch(() => null)) ? ' (only pytorch_model.bin is there; convert it to safetensors)' : '';
      throw new CheckpointError(`${path} does not exist${hint}`);
    }
  }
  const [configJson, weights] = await Promise.all([readFile(configPath, 'utf8'), readFile(weightsPath)]);
  const file = readSafetensors(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength), weightsPath);
  const { model, report } = modelFromCheckpoint(configJson, file, options);
  const vocab = await readFile(join(dir, VOCAB_FILE), 'utf8').catch(() => undefined);
  if (!options.quiet) for (const note of report.notes) console.warn(`webgpu-bert: loading ${dir}: ${note}`);
  return { model, report, ...(vocab !== undefined ? { vocab } : {}) };
}

/** Loads a checkpoint's weights into an existing model (a directory or a .safetensors file); all or nothing. */
export async function loadCheckpointWeights(model: BertPretrained, path: string): Promise<LoadReport> {
  const file = (await stat(path)).isDirectory() ? join(path, WEIGHTS_FILE) : path;
  const bytes = await readFile(file);
  return loadWeights(model, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}
