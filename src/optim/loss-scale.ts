// Dynamic loss scaling for f16 training (torch.amp.GradScaler's rule). f16 gradients underflow
// below 2^-24, so the loss is multiplied by a large scale S before the backward pass and the
// optimizer divides the gradients by S. If any gradient overflowed (their global norm is not
// finite), the step is skipped and S halves; after `growthInterval` clean steps in a row, S
// doubles. Whether a step is clean is read from the GPU once per step (as GradScaler does), so
// no inf or NaN ever reaches the weights or the Adam moments.
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { AdamW } from './adamw.ts';
import { scale as scaleOp } from '../autograd/elementwise.ts';
import { globalNorm } from '../kernels/adamw.ts';
import { noGrad } from '../autograd/tape.ts';

export interface LossScaleOptions {
  /** Starting scale. Default 2^16 (GradScaler's). */
  initScale?: number;
  /** Multiplier after growthInterval clean steps. Default 2. */
  growthFactor?: number;
  /** Multiplier after an overflow. Default 0.5. */
  backoffFactor?: number;
  /** Clean steps before the scale grows. Default 2000. */
  growthInterval?: number;
}

export class LossScaler {
  /** The current scale S. */
  scale: number;
  /** Steps skipped because a gradient overflowed. */
  skipped = 0;
  private clean = 0;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;

  constructor(options: LossScaleOptions = {}) {
    const { initScale = 2 ** 16, growthFactor = 2, backoffFactor = 0.5, growthInterval = 2000 } = options;
    if (!(initScale > 0 && Number.isFinite(initScale))) throw new Error(`LossScaler: initScale must be a positive finite number, got ${initScale}`);
    if (!(growthFactor > 1)) throw new Error(`LossScaler: growthFactor must be > 1, got ${growthFactor}`);
    if (!(backoffFactor > 0 && backoffFactor < 1)) throw new Error(`LossScaler: backoffFactor must be in (0, 1), got ${backoffFactor}`);
    if (!Number.isInteger(growthInterval) || growthInterval < 1) throw new Error(`LossScaler: growthInterval must be a positive integer, got ${growthInterval}`);
    this.scale = initScale;
    this.growthFactor = growthFactor;
    this.backoffFactor = backoffFactor;
    this.growthInterval = growthInterval;
  }

  /** loss * S, for backward(). */
  scaleLoss(loss: Tensor): Tensor {
    return scaleOp(loss, this.scale);
  }

  /**
   * The global norm of the (scaled) gradients as a [] tensor the optimizer can reuse for
   * clipping, and whether it is finite (waits for the GPU).
   */
  async check(grads: readonly Tensor[]): Promise<{ finite: boolean; norm: Tensor }> {
    const norm = noGrad(() => globalNorm(grads));
    engine().flush();
    const [value] = await norm.data();
    return { finite: Number.isFinite(value), norm };
  }

  /**
   * The update after backward(scaleLoss(loss)): if every gradient is finite, the optimizer steps
   * on the gradients divided by S (clipping reusing the norm computed here), else the step is
   * skipped; then the scale is updated. Resolves to whether the step was applied. (fit() and the
   * benchmarks call this; the caller zeroes the gradients, as after any step.)
   */
  async step(optimizer: AdamW): Promise<boolean> {
    const { finite, norm } = await this.check(optimizer.liveGradients());
    if (finite) optimizer.step({ unscale: 1 / this.scale, gradNorm: norm });
    else optimizer.skip();
    norm.dispose();
    this.update(finite);
    return finite;
  }

  /** After a step: halve on overflow (the step was skipped), grow after a run of clean steps. */
  update(finite: boolean): void {
    if (!finite) {
      this.scale *= this.backoffFactor;
      this.clean = 0;
      this.skipped++;
      return;
    }
    if (++this.clean >= this.growthInterval) {
      this.scale *= this.growthFactor;
      this.clean = 0;
    }
  }
}
