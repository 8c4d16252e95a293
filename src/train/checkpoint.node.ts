// ModelCheckpoint: saves the model after every epoch, or only when a monitored log improves, as a
// Hugging Face checkpoint directory (src/io: config.json, model.safetensors, vocab.txt with a
// tokenizer), optionally with the optimizer state to resume from. Every file is written to a
// temporary name and renamed into place, so a checkpoint on disk is always a complete one:
// trainer_state.json, written last, says which epoch it holds.
import { join } from 'node:path';
import type { WordPieceTokenizer } from '../data/wordpiece-tokenizer.ts';
import { saveCheckpoint, writeFileAtomic } from '../io/checkpoint.node.ts';
import { saveTrainingState } from '../io/training.node.ts';
import { checkMonitor, Monitor, type Callback, type MonitorMode, type TrainContext } from './callbacks.ts';
import type { Logs } from './history.ts';

export const TRAINER_STATE_FILE = 'trainer_state.json';

export interface ModelCheckpointOptions {
  /** Directory to write; '{epoch}' in it becomes the 1-based epoch number (a directory per epoch). */
  dir: string;
  /** Log key deciding the best epoch. Default 'val_loss' with validation data, else 'loss'. */
  monitor?: string;
  /** Default 'auto' (max for keys containing 'acc'). */
  mode?: MonitorMode;
  /** Save only when the monitored value improves. Default false (every epoch). */
  saveBestOnly?: boolean;
  /** Also write vocab.txt. */
  tokenizer?: WordPieceTokenizer;
  /** Also write the optimizer state and generator (src/io saveTrainingState): training resumes bit-identically. Default false. */
  saveOptimizer?: boolean;
}

export class ModelCheckpoint implements Callback {
  /** Directories written, in order. */
  readonly saved: { epoch: number; dir: string; value: number | undefined }[] = [];
  private monitor: Monitor | null = null;

  constructor(private readonly options: ModelCheckpointOptions) {
    if (!options || typeof options.dir !== 'string' || !options.dir) throw new Error('ModelCheckpoint: needs { dir }');
  }

  /** The directory for an epoch (0-based). */
  dirFor(epoch: number): string {
    return this.options.dir.replaceAll('{epoch}', String(epoch + 1));
  }

  onTrainBegin(ctx: TrainContext): void {
    const key = this.options.monitor ?? (ctx.hasValidation ? 'val_loss' : 'loss');
    checkMonitor('ModelCheckpoint', key, ctx);
    this.monitor = new Monitor(key, this.options.mode ?? 'auto');
  }

  async onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): Promise<void> {
    const monitor = this.monitor!;
    const value = logs[monitor.key];
    const improved = value !== undefined && monitor.improves(value);
    if (improved) {
      monitor.best = value;
      monitor.bestEpoch = epoch;
    }
    if (this.options.saveBestOnly && !improved) return;
    const dir = this.dirFor(epoch);
    const tokenizer = this.options.tokenizer ? { tokenizer: this.options.tokenizer } : {};
    if (this.options.saveOptimizer) await saveTrainingState(dir, { model: ctx.model, optimizer: ctx.optimizer }, tokenizer);
    else await saveCheckpoint(dir, ctx.model, tokenizer);
    const state = {
      epoch: epoch + 1,
      global_step: ctx.globalStep,
      logs,
      monitor: monitor.key,
      best_metric: monitor.bestEpoch >= 0 ? monitor.best : null,
      best_epoch: monitor.bestEpoch >= 0 ? monitor.bestEpoch + 1 : null,
    };
    await writeFileAtomic(join(dir, TRAINER_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    this.saved.push({ epoch, dir, value });
  }
}
