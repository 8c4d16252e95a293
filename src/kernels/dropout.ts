// Inverted dropout with a counter-based RNG (shaders/dropout.wgsl, Philox4x32-10 in
// shaders/philox.wgsl). The mask is a pure function of (seed, element index): the backward pass
// regenerates it instead of storing it, and a run is reproducible from its seed.
import { OpError } from '../gpu/errors.ts';
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { FloatDType } from '../gpu/dtype.ts';
import { expectDType, grid } from './shape.ts';

const kernel = new Kernel({ shader: 'dropout' });
const WG = 256;
const TWO_32 = 4294967296;

/** What the shaders need to draw a mask: P(drop) = threshold / 2^32, kept values times scale. */
export interface DropoutParams {
  threshold: number;
  scale: number;
  seedLo: number;
  seedHi: number;
}

/**
 * Validates a rate in [0, 1) and a seed (an integer in [0, 2^53)) and turns them into the
 * Philox key and keep threshold shared by dropout and attention.
 */
export function dropoutParams(op: string, rate: number, seed: number): DropoutParams {
  if (!(rate >= 0 && rate < 1)) throw new OpError(op, `dropout rate must be in [0, 1), got ${rate}`);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new OpError(op, `dropout seed must be an integer in [0, 2^53), got ${seed}`);
  }
  return {
    threshold: Math.min(TWO_32 - 1, Math.round(rate * TWO_32)),
    scale: 1 / (1 - rate),
    seedLo: seed >>> 0,
    seedHi: Math.floor(seed / TWO_32),
  };
}

function run(op: string, x: Tensor, rate: number, seed: number): Tensor<FloatDType> {
  expectDType(op, x, 'f32', 'f16');
  const d = dropoutParams(op, rate, seed);
  const e = engine();
  const y = e.empty(x.shape, x.dtype as FloatDType);
  if (x.size === 0) return y;
  e.run(kernel.as(x.dtype), {
    bindings: { x, y },
    uniforms: { n: x.size, threshold: d.threshold, scale: d.scale, seed_lo: d.seedLo, seed_hi: d.seedHi },
    overrides: { WG },
    workgroups: grid(Math.ceil(x.size / 4), WG),
  });
  return y;
}

/** y = x * keep / (1 - rate), keep ~ Bernoulli(1 - rate) drawn from (seed, element index). */
export function dropout(x: Tensor, rate: number, seed: number): Tensor<FloatDType> {
  return run('dropout', x, rate, seed);
}

/** dx = dy * keep / (1 - rate) with the mask of dropout(x, rate, seed), regenerated. */
export function dropoutBackward(dy: Tensor, rate: number, seed: number): Tensor<FloatDType> {
  return run('dropoutBackward', dy, rate, seed);
}
