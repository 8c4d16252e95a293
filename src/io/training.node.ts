// A resumable training checkpoint: the model's HF checkpoint directory plus optimizer.safetensors
// (AdamW moments and step counts) and training_state.json (the model generator's state, which
// decides every later dropout mask). Restoring all three continues a run bit-identically.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BertPretrained } from '../nn/pretrained.ts';
import type { AdamW } from '../optim/adamw.ts';
import { loadCheckpointWeights, saveCheckpoint, writeFileAtomic, writeSafetensorsFile } from './checkpoint.node.ts';
import type { VocabWriter } from './checkpoint.ts';
import { readSafetensors } from './safetensors.ts';

export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TRAINING_STATE_FILE = 'training_state.json';

export interface TrainingState {
  model: BertPretrained;
  optimizer: AdamW;
}

export async function saveTrainingState(dir: string, { model, optimizer }: TrainingState, options: { tokenizer?: VocabWriter } = {}): Promise<void> {
  await saveCheckpoint(dir, model, options);
  const { tensors, metadata } = await optimizer.state();
  const data = new Map(tensors.map((t) => [t.name, t.data]));
  await writeSafetensorsFile(join(dir, OPTIMIZER_FILE), tensors, async (name) => data.get(name)!, metadata);
  const state = { global_step: optimizer.stepCount, generator: model.generator.state() };
  await writeFileAtomic(join(dir, TRAINING_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

/** Restores weights, optimizer state and generator state saved by saveTrainingState into live objects. */
export async function loadTrainingState(dir: string, { model, optimizer }: TrainingState): Promise<void> {
  const [optBytes, stateText] = await Promise.all([readFile(join(dir, OPTIMIZER_FILE)), readFile(join(dir, TRAINING_STATE_FILE), 'utf8')]);
  const optFile = readSafetensors(new Uint8Array(optBytes.buffer, optBytes.byteOffset, optBytes.byteLength), join(dir, OPTIMIZER_FILE));
  const state = JSON.parse(stateText) as { generator?: { seed: number; counter: number } };
  if (!state.generator) throw new Error(`${join(dir, TRAINING_STATE_FILE)} has no generator state`);
  const report = await loadCheckpointWeights(model, dir);
  if (report.missing.length) throw new Error(`training state in ${dir} does not cover the model: ${report.missing.join(', ')} missing`);
  optimizer.loadState(optFile);
  model.generator.setState(state.generator);
}
