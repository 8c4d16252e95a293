// A training step as fit() runs it, in f32 or mixed precision (f16 activations, dynamic loss
// scaling), for the benchmarks that compare the two (bench/f16.ts, bench/gpu-check.ts).
import { BertForMaskedLM, memory, tensor, tidy, type Tensor } from '../src/index.ts';
import type { Engine } from '../src/gpu/engine.ts';
import { backward } from '../src/autograd/tape.ts';
import { AdamW } from '../src/optim/adamw.ts';
import { LossScaler } from '../src/optim/loss-scale.ts';
import { Batches, LR, configOf, type Case } from './train-core.ts';
import type { HostBatch } from './tfjs-bert.ts';

export type DT = 'f32' | 'f16';

/** One contender: a model in one dtype with its optimizer and (f16) loss scaler, stepping as fit() does. */
export class Trainer {
  readonly model: BertForMaskedLM;
  private readonly opt: AdamW;
  readonly scaler: LossScaler | null;

  constructor(c: Case, readonly dtype: DT) {
    this.model = new BertForMaskedLM(configOf(c), { seed: 7 });
    this.model.dtype = dtype;
    this.opt = new AdamW(this.model, { lr: LR, maxGradNorm: 1 });
    this.scaler = dtype === 'f16' ? new LossScaler() : null;
  }

  /** One step; resolves to its loss (read back, so the step is finished). */
  async step(b: HostBatch): Promise<number> {
    const x = () => ({
      inputIds: tensor(b.inputIds, [b.batch, b.seq], 'i32'),
      attentionMask: tensor(b.attentionMask, [b.batch, b.seq], 'i32'),
      maskPositions: tensor(b.maskPositions, [b.batch, b.masksPerRow], 'i32'),
      labels: tensor(b.labels, [b.batch, b.masksPerRow], 'i32'),
    });
    const scaler = this.scaler;
    let loss: Tensor;
    if (!scaler) {
      loss = tidy(() => {
        const out = this.model.forward(x());
        backward(out.loss!);
        this.opt.step();
        this.opt.zeroGrad();
        return out.loss!;
      });
    } else {
      loss = tidy(() => {
        const out = this.model.forward(x());
        backward(scaler.scaleLoss(out.loss!));
        return out.loss!;
      });
      await scaler.step(this.opt);
      this.opt.zeroGrad();
    }
    const [v] = await loss.data();
    loss.dispose();
    return v;
  }

  dispose(): void {
    this.opt.dispose();
    this.model.dispose();
  }
}

/**
 * Memory of one step of a fresh trainer (the engine holds nothing else), after a warm-up step:
 * `peak` bytes in use during the step, and `resident` the bytes held between steps (weights and
 * AdamW moments), so peak - resident is what the step itself allocates (activations, gradients,
 * logits).
 */
export async function peakOf(e: Engine, c: Case, dtype: DT, batches: Batches): Promise<{ peak: number; resident: number }> {
  const t = new Trainer(c, dtype);
  await t.step(batches.get(0, c.batch, c.seq));
  const resident = memory().bytesInUse;
  e.resetPeakMemory();
  await t.step(batches.get(1, c.batch, c.seq));
  const peak = memory().peakBytesInUse;
  t.dispose();
  return { peak, resident };
}
