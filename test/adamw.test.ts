import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidy } from '../src/node.ts';
import { adamw, clipScale, globalNorm, type AdamWOptions } from '../src/kernels/adamw.ts';
import { adamwRef, clipScaleRef, globalNormRef } from './reference/adamw.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

const OPTS = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0.01 };

describe('adamw', () => {
  for (const n of [1, 7, 129, 513, 70_001]) {
    it(`matches a float64 AdamW over 5 steps, n = ${n}, with and without a gradScale tensor`, async () => {
      for (const scale of [undefined, 0.37]) {
        const p0 = uniform(n, n, -1, 1);
        const param = tensor(p0, [n]);
        const m = tensor(new Float32Array(n));
        const v = tensor(new Float32Array(n));
        const ref = { p: Float64Array.from(p0), m: new Float64Array(n), v: new Float64Array(n) };
        const gradScale = scale === undefined ? undefined : tensor([scale], []);
        for (let step = 1; step <= 5; step++) {
          const g = uniform(n, n + step, -1, 1);
          tidy(() => adamw(param, tensor(g), m, v, { ...OPTS, step, gradScale }));
          adamwRef(ref.p, g, ref.m, ref.v, { ...OPTS, step, gradScale: scale });
        }
        // Five f32 steps of size ~lr against float64: a few ulp of the O(1) parameters.
        const tol = { atol: 1e-6, rtol: 1e-5 };
        assertClose(await param.data(), ref.p, tol, `param n=${n} scale=${scale}`);
        assertClose(await m.data(), ref.m, tol, `m n=${n} scale=${scale}`);
        assertClose(await v.data(), ref.v, tol, `v n=${n} scale=${scale}`);
      }
    });
  }

  it('keeps a [2, 3] parameter shape and is deterministic', async () => {
    const run = async () => {
      const param = tensor(uniform(6, 1), [2, 3]);
      const m = tensor(new Float32Array(6), [2, 3]);
      const v = tensor(new Float32Array(6), [2, 3]);
      adamw(param, tensor(uniform(6, 2), [2, 3]), m, v, { ...OPTS, step: 3 });
      return param.data();
    };
    const [a, b] = [await run(), await run()];
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it('names the op on bad arguments', () => {
    const p = tensor(new Float32Array(4));
    const o: AdamWOptions = { ...OPTS, step: 1 };
    expect(() => adamw(p, tensor(new Float32Array(3)), tensor(new Float32Array(4)), tensor(new Float32Array(4)), o))
      .toThrow('adamw: grad [3] must have param\'s shape [4]');
    expect(() => adamw(p, tensor(new Float32Array(4)), tensor(new Float32Array(4)), tensor(new Float32Array(4)), { ...o, step: 0 }))
      .toThrow('adamw: step must be an integer >= 1, got 0');
    const m = tensor(new Float32Array(4));
    expect(() => adamw(p, tensor(new Float32Array(4)), m, m, o)).toThrow('adamw: param, grad, m and v must be four different tensors');
  });
});

describe('globalNorm and clipScale', () => {
  it('globalNorm matches float64 over tensors of awkward sizes, deterministically', async () => {
    const sizes = [1, 7, 129, 513, 70_001, 1_000_003];
    const hosts = sizes.map((n, i) => uniform(n, 100 + i, -1, 1));
    const run = () => tidy(() => globalNorm(hosts.map((h) => tensor(h)))).data();
    const a = await run();
    const b = await run();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    assertClose(a, [globalNormRef(hosts)], TOL.reduction, 'global norm');
    assertClose(await globalNorm([]).data(), [0], TOL.exact, 'no tensors');
  });

  it('clipScale gives min(1, maxNorm / (norm + 1e-6)), NaN for a NaN norm, and feeds adamw without a download', async () => {
    for (const norm of [10, 0.5, 0, NaN]) {
      assertClose(await clipScale(tensor([norm], []), 1).data(), [clipScaleRef(norm, 1)], TOL.arithmetic, `norm ${norm}`);
    }
    const g = uniform(9, 3, -4, 4);
    const param = tensor(new Float32Array(9));
    const m = tensor(new Float32Array(9));
    const v = tensor(new Float32Array(9));
    const gradScale = tidy(() => clipScale(globalNorm([tensor(g)]), 1));
    adamw(param, tensor(g), m, v, { ...OPTS, weightDecay: 0, step: 1, gradScale });
    const k = clipScaleRef(globalNormRef([g]), 1);
    assertClose(await m.data(), Array.from(g, (x) => 0.1 * x * k), TOL.arithmetic, 'm sees the clipped gradient');
  });
});
