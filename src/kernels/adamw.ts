// AdamW in one kernel per parameter (shaders/adamw.wgsl), and gradient clipping that never waits
// for a download: globalNorm and clipScale (shaders/norm.wgsl) leave their results on the GPU,
// where adamw reads the multiplier.
import type { FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { strideGroups } from './launch.ts';
import { expectDType } from './shape.ts';

const adamwKernel = new Kernel({ shader: 'adamw' });
const sumsqKernel = new Kernel({ shader: 'norm', entry: 'sumsq' });
const finishKernel = new Kernel({ shader: 'norm', entry: 'finish' });
const clipKernel = new Kernel({ shader: 'norm', entry: 'clip' });
const WG = 64;
// 64, not 256: a 256-invocation workgroup is 2.3x slower on lavapipe (measured on the sum of squares).
const NORM_WG = 64;

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count t, for the bias corrections 1 - beta^t. */
  step: number;
  /** [] f32 multiplier applied to grad (e.g. clipScale's result), read on the GPU. */
  gradScale?: Tensor;
}

function sameShape(a: Tensor, b: Tensor): boolean {
  return a.rank === b.rank && a.shape.every((d, i) => d === b.shape[i]);
}

/** Updates param, m and v (all of param's shape) in place from grad. */
export function adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, opts: AdamWOptions): void {
  const op = 'adamw';
  for (const [name, t] of [['param', param], ['grad', grad], ['m', m], ['v', v]] as const) {
    expectDType(op, t, 'f32');
    if (!sameShape(t, param)) throw new OpError(op, `${name} ${shapeStr(t.shape)} must have param's shape ${shapeStr(param.shape)}`);
  }
  const { lr, beta1, beta2, eps, weightDecay, step } = opts;
  if (!Number.isInteger(step) || step < 1) throw new OpError(op, `step must be an integer >= 1, got ${step}`);
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new OpError(op, `betas must be in [0, 1), got ${beta1}, ${beta2}`);
  if (new Set([param.buffer, grad.buffer, m.buffer, v.buffer]).size !== 4) throw new OpError(op, 'param, grad, m and v must be four different tensors');
  if (opts.gradScale) {
    expectDType(op, opts.gradScale, 'f32');
    if (opts.gradScale.size !== 1) throw new OpError(op, `gradScale must be a scalar tensor, got shape ${shapeStr(opts.gradScale.shape)}`);
  }
  if (param.size === 0) return;
  const n4 = Math.ceil(param.size / 4);
  const groups = strideGroups(n4, WG);
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  // Whole buffers (multiples of 16 bytes): see shaders/adamw.wgsl.
  engine().run(adamwKernel, {
    bindings: { param, grad, m, v, grad_scale: opts.gradScale ?? grad },
    uniforms: {
      n4, stride: groups * WG, beta1, beta2, eps,
      decay: 1 - lr * weightDecay, step_size: lr / bc1, inv_sqrt_bc2: 1 / Math.sqrt(bc2),
    },
    overrides: { HAS_SCALE: Boolean(opts.gradScale), WG },
    workgroups: [groups],
  });
}

/** Workgroups of the sum-of-squares pass for n elements: a fixed function of n (determinism). */
function sumsqGroups(n: number): number {
  return Math.max(1, Math.min(64, Math.ceil(n / (NORM_WG * 4 * 16))));
}

/** sqrt(sum of squares of every element of every tensor), shape [], computed on the GPU in a fixed order. */
export function globalNorm(tensors: readonly Tensor[]): Tensor<FloatDType> {
  const e = engine();
  for (const t of tensors) expectDType('globalNorm', t, 'f32');
  const nonEmpty = tensors.filter((t) => t.size > 0);
  const total = nonEmpty.reduce((s, t) => s + sumsqGroups(t.size), 0);
  const partial = e.empty([Math.max(1, total)], 'f32');
  let offset = 0;
  for (const t of nonEmpty) {
    const groups = sumsqGroups(t.size);
    e.run(sumsqKernel, {
      bindings: { src: t, src4: t, partial },
      uniforms: { n: t.size, groups, offset, max_norm: 0 },
      overrides: { WG: NORM_WG },
      workgroups: [groups],
    });
    offset += groups;
  }
  const norm = e.empty([], 'f32');
  e.run(finishKernel, {
    bindings: { partials: partial, norm },
    uniforms: { n: total, groups: 0, offset: 0, max_norm: 0 },
    overrides: { WG: NORM_WG },
    workgroups: [1],
  });
  partial.dispose();
  return norm;
}

/** min(1, maxNorm / (norm + 1e-6)) as a [] tensor, from globalNorm's result; NaN if the norm is NaN. */
export function clipScale(norm: Tensor, maxNorm: number): Tensor<FloatDType> {
  expectDType('clipScale', norm, 'f32');
  if (norm.size !== 1) throw new OpError('clipScale', `norm must be a scalar tensor, got shape ${shapeStr(norm.shape)}`);
  if (!(maxNorm > 0)) throw new OpError('clipScale', `maxNorm must be > 0, got ${maxNorm}`);
  const scale = engine().empty([], 'f32');
  engine().run(clipKernel, {
    bindings: { norm_in: norm, scale },
    uniforms: { n: 0, groups: 0, offset: 0, max_norm: maxNorm },
    workgroups: [1],
  });
  return scale;
}
