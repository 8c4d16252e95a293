// AdamW (Loshchilov & Hutter): Adam with bias correction and weight decay decoupled from the
// gradient, one fused kernel per parameter (src/kernels/adamw.ts). Global-norm clipping stays on
// the GPU: the norm and the clip factor are tensors the update kernels read, so a step never
// waits for a download.
//
// Defaults: lr 1e-3 (torch.optim.AdamW), beta1 0.9, beta2 0.999, eps 1e-6 and weight decay 0.01
// (BERT's AdamWeightDecay), no clipping unless maxGradNorm is set (BERT and the HF Trainer use
// 1.0). Built from a model, biases and LayerNorm parameters get no weight decay, as in BERT.
import { tidy, keep } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { adamw, clipScale, globalNorm } from '../kernels/adamw.ts';
import { copy, full, zeros } from '../kernels/fill.ts';
import { affine } from '../kernels/elementwise.ts';
import { noGrad } from '../autograd/tape.ts';
import { Module, type Parameter } from '../nn/module.ts';
import type { SafetensorsFile, TensorToWrite } from '../io/safetensors.ts';
import { toFloat32 } from '../io/safetensors.ts';
import { ConstantSchedule, type Schedule } from './schedule.ts';

export interface AdamWOptions {
  /** A fixed rate or a schedule over update steps. Default 1e-3. */
  lr?: number | Schedule;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled decay: p -= lr * weightDecay * p each step (for groups that do not set their own). */
  weightDecay?: number;
  /** Clip the global L2 norm of all gradients of a step to this. Default: no clipping. */
  maxGradNorm?: number;
}

export interface ParamGroup {
  params: Parameter[];
  /** Overrides the optimizer's weightDecay for this group. */
  weightDecay?: number;
  /** Multiplies the scheduled learning rate for this group. Default 1. */
  lrScale?: number;
  /** Names of the params, for saved state (default: group<g>.<i>). */
  names?: string[];
}

interface Slot {
  name: string;
  param: Parameter;
  group: ParamGroup;
  /** Updates this parameter has had (its bias-correction step, as torch counts per parameter). */
  step: number;
  m: Tensor<'f32'> | null;
  v: Tensor<'f32'> | null;
}

export const ADAMW_DEFAULTS = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0.01 } as const;

/** BERT's grouping: parameters marked decay (weights, embeddings) decay, the rest (biases, LayerNorm) do not. */
export function defaultParamGroups(model: Module): ParamGroup[] {
  const named = model.namedParameters();
  const decay = named.filter(([, p]) => p.decay);
  const rest = named.filter(([, p]) => !p.decay);
  return [
    { params: decay.map(([, p]) => p), names: decay.map(([n]) => n) },
    { params: rest.map(([, p]) => p), names: rest.map(([n]) => n), weightDecay: 0 },
  ];
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly maxGradNorm: number | undefined;
  readonly schedule: Schedule;
  readonly groups: ParamGroup[];
  private slots: Slot[] = [];
  private updates = 0;
  private norm: Tensor<'f32'> | null = null;

  /** Optimises a model (BERT's decay groups), a list of parameters (one group), or explicit groups. */
  constructor(params: Module | Parameter[] | ParamGroup[], options: AdamWOptions = {}) {
    const o = { ...ADAMW_DEFAULTS, ...options };
    this.schedule = typeof o.lr === 'number' ? new ConstantSchedule(o.lr) : o.lr;
    this.beta1 = o.beta1;
    this.beta2 = o.beta2;
    this.eps = o.eps;
    this.weightDecay = o.weightDecay;
    this.maxGradNorm = o.maxGradNorm;
    if (!(this.beta1 >= 0 && this.beta1 < 1) || !(this.beta2 >= 0 && this.beta2 < 1)) throw new Error(`AdamW: betas must be in [0, 1), got ${this.beta1}, ${this.beta2}`);
    if (!(this.eps > 0)) throw new Error(`AdamW: eps must be > 0, got ${this.eps}`);
    if (this.maxGradNorm !== undefined && !(this.maxGradNorm > 0)) throw new Error(`AdamW: maxGradNorm must be > 0, got ${this.maxGradNorm}`);
    this.groups = params instanceof Module ? defaultParamGroups(params)
      : params.length && !('params' in params[0]) ? [{ params: params as Parameter[] }]
      : (params as ParamGroup[]);
    const seen = new Set<Parameter>();
    this.groups.forEach((group, g) => group.params.forEach((param, i) => {
      if (seen.has(param)) throw new Error(`AdamW: a parameter appears in two groups (${group.names?.[i] ?? `group${g}.${i}`})`);
      seen.add(param);
      this.slots.push({ name: group.names?.[i] ?? `group${g}.${i}`, param, group, step: 0, m: null, v: null });
    }));
  }

  /** Updates made so far (the schedule's step). */
  get stepCount(): number {
    return this.updates;
  }

  /** The learning rate the next step() uses. */
  get lr(): number {
    return this.schedule.at(this.updates);
  }

  /** The global gradient norm of the last step (a GPU scalar; only with maxGradNorm). Valid until the next step. */
  get lastGradNorm(): Tensor<'f32'> | null {
    return this.norm;
  }

  /** The parameters the next step() updates: trainable ones that have a gradient. */
  private live(): Slot[] {
    return this.slots.filter((s) => s.param.trainable && s.param.grad);
  }

  /** The gradients the next step() would use. */
  liveGradients(): Tensor[] {
    return this.live().map((s) => s.param.grad!);
  }

  /**
   * One update of every trainable parameter that has a gradient (parameters without one, or
   * frozen, are left as they are, and their moments too). Records and waits for nothing.
   * `unscale` multiplies every gradient first (1 / the loss scale), and clipping sees the
   * unscaled norm; `gradNorm` is the global norm of the gradients as they are, if already computed.
   */
  step(options: { unscale?: number; gradNorm?: Tensor } = {}): void {
    const lr = this.schedule.at(this.updates);
    this.updates++;
    const live = this.live();
    if (!live.length) return;
    const half = live.find((s) => s.param.value.dtype !== 'f32');
    if (half) throw new Error(`AdamW: parameter '${half.name}' is stored in ${half.param.value.dtype} (inference storage, e.g. loaded with { weights: 'f16' }); train f32 weights (param.storeAs('f32'), or load without weights: 'f16')`);
    this.norm?.dispose();
    this.norm = null;
    const unscale = options.unscale ?? 1;
    noGrad(() => tidy(() => {
      let gradScale: Tensor | undefined;
      if (this.maxGradNorm !== undefined) {
        const raw = options.gradNorm ?? globalNorm(live.map((s) => s.param.grad!));
        // (A given norm belongs to the caller: lastGradNorm holds a tensor of its own.)
        this.norm = keep((unscale !== 1 ? affine(raw, unscale) : options.gradNorm ? copy(raw) : raw) as Tensor<'f32'>);
        gradScale = clipScale(this.norm, this.maxGradNorm);
        if (unscale !== 1) gradScale = affine(gradScale, unscale);
      } else if (unscale !== 1) {
        gradScale = full([], unscale);
      }
      for (const s of live) {
        s.m ??= keep(zeros(s.param.shape, 'f32'));
        s.v ??= keep(zeros(s.param.shape, 'f32'));
        s.step++;
        adamw(s.param.value, s.param.grad!, s.m, s.v, {
          lr: lr * (s.group.lrScale ?? 1),
          beta1: this.beta1,
          beta2: this.beta2,
          eps: this.eps,
          weightDecay: s.group.weightDecay ?? this.weightDecay,
          step: s.step,
          gradScale,
        });
      }
    }));
  }

  /** Counts a step without updating anything (a loss-scaled step whose gradients overflowed): the schedule moves on, the bias corrections do not. */
  skip(): void {
    this.updates++;
  }

  /** Drops every parameter's gradient. */
  zeroGrad(): void {
    for (const s of this.slots) s.param.zeroGrad();
  }

  // ---------------------------------------------------------------- state

  /**
   * The optimizer's state as safetensors tensors and metadata: each updated parameter's moments
   * (`<name>.exp_avg`, `<name>.exp_avg_sq`) and, in the metadata, the step counts and settings.
   */
  async state(): Promise<{ tensors: TensorToWrite[]; metadata: Record<string, string> }> {
    const used = this.slots.filter((s) => s.m && s.v);
    const moments = await Promise.all(used.flatMap((s) => [s.m!.data(), s.v!.data()]));
    const tensors: TensorToWrite[] = used.flatMap((s, i) => [
      { name: `${s.name}.exp_avg`, dtype: 'F32' as const, shape: [...s.param.shape], data: moments[2 * i] },
      { name: `${s.name}.exp_avg_sq`, dtype: 'F32' as const, shape: [...s.param.shape], data: moments[2 * i + 1] },
    ]);
    const metadata = {
      format: 'webgpu-bert.adamw',
      updates: String(this.updates),
      param_steps: JSON.stringify(Object.fromEntries(used.map((s) => [s.name, s.step]))),
      settings: JSON.stringify({ beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, maxGradNorm: this.maxGradNorm ?? null }),
      schedule: JSON.stringify(this.schedule.toJSON()),
    };
    return { tensors, metadata };
  }

  /** Restores a state() (from an optimizer over the same parameter names); validates all before changing anything. */
  loadState(file: SafetensorsFile): void {
    const meta = file.metadata;
    if (meta.format !== 'webgpu-bert.adamw') throw new Error(`AdamW.loadState: not an AdamW state (format '${meta.format ?? '(none)'}')`);
    const updates = Number(meta.updates);
    const steps = JSON.parse(meta.param_steps ?? '{}') as Record<string, number>;
    if (!Number.isInteger(updates) || updates < 0) throw new Error(`AdamW.loadState: invalid update count '${meta.updates}'`);
    const byName = new Map(this.slots.map((s) => [s.name, s]));
    const restored: { slot: Slot; m: Float32Array; v: Float32Array; step: number }[] = [];
    for (const [name, step] of Object.entries(steps)) {
      const slot = byName.get(name);
      if (!slot) throw new Error(`AdamW.loadState: the state has moments for '${name}', which this optimizer does not update`);
      const read = (suffix: string) => {
        const info = file.tensors.get(`${name}.${suffix}`);
        if (!info) throw new Error(`AdamW.loadState: '${name}.${suffix}' is missing`);
        if (info.shape.length !== slot.param.shape.length || info.shape.some((d, i) => d !== slot.param.shape[i])) {
          throw new Error(`AdamW.loadState: '${name}.${suffix}' has shape [${info.shape.join(', ')}], the parameter [${slot.param.shape.join(', ')}]`);
        }
        return toFloat32(file, `${name}.${suffix}`);
      };
      if (!Number.isInteger(step) || step < 0) throw new Error(`AdamW.loadState: invalid step ${step} for '${name}'`);
      restored.push({ slot, m: read('exp_avg'), v: read('exp_avg_sq'), step });
    }
    for (const s of this.slots) {
      s.m?.dispose();
      s.v?.dispose();
      s.m = s.v = null;
      s.step = 0;
    }
    for (const { slot, m, v, step } of restored) {
      slot.m = keep(slot.param.value.engine.tensor(m, slot.param.shape, 'f32'));
      slot.v = keep(slot.param.value.engine.tensor(v, slot.param.shape, 'f32'));
      slot.step = step;
    }
    this.updates = updates;
  }

  /** Frees the moment buffers. */
  dispose(): void {
    for (const s of this.slots) {
      s.m?.dispose();
      s.v?.dispose();
      s.m = s.v = null;
    }
    this.norm?.dispose();
    this.norm = null;
  }
}
