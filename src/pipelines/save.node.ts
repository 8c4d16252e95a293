// Pipeline directories on disk (Node): the model through saveCheckpoint (streamed, one tensor in
// memory at a time), the small files through writeFileAtomic; every file goes to a temporary name
// beside it, is flushed, then renamed into place.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { saveCheckpoint, writeFileAtomic } from '../io/checkpoint.node.ts';
import type { SaveDType } from '../io/checkpoint.ts';
import type { BertPretrained } from '../nn/pretrained.ts';
import { PIPELINE_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, type PipelineFiles, type PipelineStorage } from './files.ts';

const TEXT_FILES = ['config.json', 'vocab.txt', TOKENIZER_FILE, TOKENIZER_CONFIG_FILE, PIPELINE_FILE];

export const nodePipelineStorage: PipelineStorage = {
  async save(dir: string, model: BertPretrained, files: Record<string, string>, options: { dtype?: SaveDType } = {}): Promise<void> {
    await saveCheckpoint(dir, model, options);
    for (const [name, contents] of Object.entries(files)) await writeFileAtomic(join(dir, name), contents);
  },

  async load(dir: string): Promise<PipelineFiles> {
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) throw new Error(`${dir} is not a directory`);
    const present = new Set(await readdir(dir));
    const files: PipelineFiles = {};
    for (const name of TEXT_FILES) if (present.has(name)) files[name] = await readFile(join(dir, name), 'utf8');
    if (present.has('model.safetensors')) {
      const bytes = await readFile(join(dir, 'model.safetensors'));
      files['model.safetensors'] = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } else {
      throw new Error(`${join(dir, 'model.safetensors')} does not exist${present.has('pytorch_model.bin') ? ' (only pytorch_model.bin is there; convert it to safetensors)' : ''}`);
    }
    if (!present.has('config.json')) throw new Error(`${join(dir, 'config.json')} does not exist`);
    return files;
  },
};
