import { describe, expect, it } from 'vitest';
import { ConstantSchedule, LinearWarmupDecay } from '../src/optim/schedule.ts';

describe('learning-rate schedules', () => {
  it('constant', () => {
    const s = new ConstantSchedule(3e-4);
    expect([0, 1, 1000].map((t) => s.at(t))).toEqual([3e-4, 3e-4, 3e-4]);
    expect(() => new ConstantSchedule(-1)).toThrow(/lr must be/);
  });

  it('linear warmup over the first 10% of steps, then linear decay to 0 (transformers get_linear_schedule_with_warmup)', () => {
    const s = new LinearWarmupDecay({ peak: 5e-5, totalSteps: 100 });
    expect(s.warmupSteps).toBe(10);
    // transformers: lr_lambda(t) = t / warmup for t < warmup, else (total - t) / (total - warmup)
    const hf = (t: number) => 5e-5 * (t < 10 ? t / 10 : Math.max(0, (100 - t) / 90));
    for (const t of [0, 1, 5, 9, 10, 11, 50, 99, 100, 150]) expect(s.at(t)).toBeCloseTo(hf(t), 18);
    expect(s.at(0)).toBe(0);
    expect(s.at(10)).toBe(5e-5);
  });

  it('explicit warmup steps, a floor, and validation', () => {
    const s = new LinearWarmupDecay({ peak: 1, totalSteps: 10, warmupSteps: 0, end: 0.1 });
    expect(s.at(0)).toBe(1);
    expect(s.at(5)).toBeCloseTo(0.55, 15);
    expect(s.at(10)).toBe(0.1);
    expect(s.toJSON()).toEqual({ kind: 'linear-warmup-decay', peak: 1, totalSteps: 10, warmupSteps: 0, end: 0.1 });
    expect(() => new LinearWarmupDecay({ peak: 1, totalSteps: 0 })).toThrow(/totalSteps/);
    expect(() => new LinearWarmupDecay({ peak: 1, totalSteps: 10, warmupSteps: 11 })).toThrow(/warmupSteps/);
  });
});
