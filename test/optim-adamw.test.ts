// The AdamW optimizer (groups, schedules, clipping, per-parameter steps, state) against a float64
// AdamW written from Loshchilov & Hutter / torch.optim.AdamW's update.
import { beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../src/node.ts';
import { Module, Parameter } from '../src/nn/module.ts';
import { AdamW, defaultParamGroups } from '../src/optim/adamw.ts';
import { LinearWarmupDecay } from '../src/optim/schedule.ts';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { assertClose, type Tolerance } from './util/tolerance.ts';

beforeAll(gpu);

// A few steps of f32 updates against float64: each step rounds m, v and p once or twice, and
// sqrt/division are correctly rounded in WGSL's f32 to 1-2 ULP.
const STEPS: Tolerance = { atol: 1e-6, rtol: 1e-5 };

interface RefState { p: number[]; m: number[]; v: number[]; t: number }

/** torch.optim.AdamW: p *= 1 - lr*wd; m, v moments; p -= lr * m_hat / (sqrt(v_hat) + eps). */
function adamwRef(s: RefState, g: ArrayLike<number>, o: { lr: number; beta1: number; beta2: number; eps: number; wd: number; scale?: number }): void {
  s.t++;
  for (let i = 0; i < s.p.length; i++) {
    const gi = g[i] * (o.scale ?? 1);
    s.p[i] *= 1 - o.lr * o.wd;
    s.m[i] = o.beta1 * s.m[i] + (1 - o.beta1) * gi;
    s.v[i] = o.beta2 * s.v[i] + (1 - o.beta2) * gi * gi;
    const mHat = s.m[i] / (1 - o.beta1 ** s.t);
    const vHat = s.v[i] / (1 - o.beta2 ** s.t);
    s.p[i] -= (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
  }
}

class Toy extends Module {
  readonly weight = this.param('dense.weight', Parameter.fromHost(uniform(12, 1), [3, 4]));
  readonly bias = this.param('dense.bias', Parameter.fromHost(uniform(3, 2), [3], { decay: false }));
  readonly late = this.param('late.weight', Parameter.fromHost(uniform(5, 3), [5]));
}

function setGrad(p: Parameter, g: Float32Array): void {
  p.zeroGrad();
  p.value.grad = tensor(g, p.shape);
}

describe('AdamW', () => {
  it('groups BERT-style: weights decay, biases and LayerNorm do not', () => {
    const toy = new Toy();
    const [decay, rest] = defaultParamGroups(toy);
    expect(decay.names).toEqual(['dense.weight', 'late.weight']);
    expect(rest.names).toEqual(['dense.bias']);
    expect(rest.weightDecay).toBe(0);
    toy.dispose();
  });

  it('matches float64 AdamW over steps with a schedule, clipping, and a parameter that starts late', async () => {
    const toy = new Toy();
    const schedule = new LinearWarmupDecay({ peak: 0.05, totalSteps: 6, warmupSteps: 2 });
    const opt = new AdamW(toy, { lr: schedule, weightDecay: 0.1, maxGradNorm: 0.5 });
    const ref = new Map<Parameter, RefState>();
    for (const p of toy.parameters()) ref.set(p, { p: Array.from(await p.data()), m: new Array(p.size).fill(0), v: new Array(p.size).fill(0), t: 0 });
    for (let step = 0; step < 6; step++) {
      const live = step < 3 ? [toy.weight, toy.bias] : toy.parameters(); // `late` gets gradients from step 3 on
      const grads = new Map(live.map((p, i) => [p, uniform(p.size, 100 * step + i, -2, 2)]));
      for (const [p, g] of grads) setGrad(p, g);
      opt.step();
      const norm = Math.sqrt([...grads.values()].reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
      const scale = Math.min(1, 0.5 / (norm + 1e-6));
      for (const [p, g] of grads) {
        adamwRef(ref.get(p)!, g, { lr: schedule.at(step), beta1: 0.9, beta2: 0.999, eps: 1e-6, wd: p === toy.bias ? 0 : 0.1, scale });
      }
      assertClose(await opt.lastGradNorm!.data(), [norm], STEPS, `grad norm at step ${step}`);
      opt.zeroGrad();
    }
    for (const p of toy.parameters()) assertClose(await p.data(), ref.get(p)!.p, STEPS, p.toString());
    expect(ref.get(toy.late)!.t).toBe(3); // its own bias-correction count, as torch keeps per parameter
    opt.dispose();
    toy.dispose();
  });

  it('skips frozen parameters and parameters without a gradient', async () => {
    const toy = new Toy();
    const opt = new AdamW(toy, { lr: 0.1 });
    const before = await Promise.all(toy.parameters().map((p) => p.data()));
    toy.bias.trainable = false;
    setGrad(toy.weight, uniform(12, 5));
    opt.step();
    const after = await Promise.all(toy.parameters().map((p) => p.data()));
    expect(after[0]).not.toEqual(before[0]);
    expect(after[1]).toEqual(before[1]);
    expect(after[2]).toEqual(before[2]);
    opt.dispose();
    toy.dispose();
  });

  it('saves and restores its state so the next steps are bit-identical', async () => {
    const make = () => {
      const toy = new Toy();
      return { toy, opt: new AdamW(toy, { lr: new LinearWarmupDecay({ peak: 0.01, totalSteps: 10 }) }) };
    };
    const run = (m: ReturnType<typeof make>, from: number, to: number) => {
      for (let s = from; s < to; s++) {
        for (const [i, p] of m.toy.parameters().entries()) setGrad(p, uniform(p.size, 1000 * s + i, -1, 1));
        m.opt.step();
        m.opt.zeroGrad();
      }
    };
    const a = make();
    run(a, 0, 4);
    const { tensors, metadata } = await a.opt.state();
    const saved = readSafetensors(writeSafetensors(tensors, metadata));
    expect([...saved.tensors.keys()].sort()).toEqual(['dense.bias.exp_avg', 'dense.bias.exp_avg_sq', 'dense.weight.exp_avg', 'dense.weight.exp_avg_sq', 'late.weight.exp_avg', 'late.weight.exp_avg_sq']);
    const weights = await Promise.all(a.toy.parameters().map((p) => p.data()));
    run(a, 4, 7);

    const b = make();
    b.toy.parameters().forEach((p, i) => p.assign(weights[i]));
    b.opt.loadState(saved);
    expect(b.opt.stepCount).toBe(4);
    run(b, 4, 7);
    for (const [i, p] of a.toy.parameters().entries()) {
      expect(new Uint32Array((await b.toy.parameters()[i].data()).buffer)).toEqual(new Uint32Array((await p.data()).buffer));
    }
    expect(() => b.opt.loadState(readSafetensors(writeSafetensors([], { format: 'other' })))).toThrow(/not an AdamW state/);
    for (const m of [a, b]) {
      m.opt.dispose();
      m.toy.dispose();
    }
  });
});
