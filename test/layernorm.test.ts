import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidy } from '../src/node.ts';
import { layerNorm, layerNormBackward, type LayerNormVariant } from '../src/kernels/layernorm.ts';
import { layerNormBackwardRef, layerNormRef } from './reference/layernorm.ts';
import { numericVjp } from './util/gradcheck.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

// Normalised outputs are O(1) sums of O(C) terms: a few f32 roundings relative to the row's scale.
const NORM = TOL.reduction;

async function runForward(rows: number, C: number, variant: LayerNormVariant = {}, seed = 1, eps = 1e-5) {
  const x = uniform(rows * C, seed, -3, 2);
  const gamma = uniform(C, seed + 1, 0.5, 1.5);
  const beta = uniform(C, seed + 2, -0.5, 0.5);
  const out = tidy(() => layerNorm(tensor(x, [rows, C]), tensor(gamma), tensor(beta), eps, variant));
  const [y, mean, rstd] = await Promise.all([out.y.data(), out.mean.data(), out.rstd.data()]);
  return { x, gamma, beta, y, mean, rstd, ref: layerNormRef(x, gamma, beta, C, eps) };
}

async function runBackward(rows: number, C: number, variant: LayerNormVariant = {}, seed = 1, eps = 1e-5) {
  const x = uniform(rows * C, seed, -3, 2);
  const gamma = uniform(C, seed + 1, 0.5, 1.5);
  const dy = uniform(rows * C, seed + 3);
  const out = tidy(() => {
    const xt = tensor(x, [rows, C]);
    const g = tensor(gamma);
    const f = layerNorm(xt, g, tensor(new Float32Array(C)), eps);
    return layerNormBackward(tensor(dy, [rows, C]), xt, g, f.mean, f.rstd, variant);
  });
  const [dx, dgamma, dbeta] = await Promise.all([out.dx.data(), out.dgamma.data(), out.dbeta.data()]);
  return { x, gamma, dy, dx, dgamma, dbeta, ref: layerNormBackwardRef(dy, x, gamma, C, eps) };
}

describe('layerNorm forward matches float64', () => {
  for (const C of [1, 7, 128, 129, 256, 512, 513, 768, 1024]) {
    it(`C = ${C}`, async () => {
      for (const rows of [1, 3, 37]) {
        const r = await runForward(rows, C, {}, C + rows);
        assertClose(r.y, r.ref.y, NORM, `y rows=${rows} C=${C}`);
        assertClose(r.mean, r.ref.mean, TOL.reduction, `mean rows=${rows} C=${C}`);
        assertClose(r.rstd, r.ref.rstd, TOL.reduction, `rstd rows=${rows} C=${C}`);
      }
    });
  }

  it('every layout: a row per invocation (software adapters) and rows reduced across a workgroup (GPUs)', async () => {
    const layouts: LayerNormVariant[] = [
      { vec4: false, wg: 16, tpr: 1 }, { vec4: false, wg: 64, tpr: 64 },
      { vec4: true, wg: 8, tpr: 1 }, { vec4: true, wg: 128, tpr: 32 }, { vec4: true, wg: 256, tpr: 256 },
    ];
    for (const v of layouts) {
      for (const rows of [1, 5]) {
        const r = await runForward(rows, 516, v, rows);
        assertClose(r.y, r.ref.y, NORM, `y ${JSON.stringify(v)} rows=${rows}`);
        assertClose(r.rstd, r.ref.rstd, TOL.reduction, `rstd ${JSON.stringify(v)} rows=${rows}`);
      }
    }
  });

  it('is accurate when the mean is large against the spread (two-pass variance)', async () => {
    const C = 768;
    const x = uniform(2 * C, 9, 999, 1001);
    const gamma = new Float32Array(C).fill(1);
    const out = layerNorm(tensor(x, [2, C]), tensor(gamma), tensor(new Float32Array(C)), 1e-12);
    assertClose(await out.y.data(), layerNormRef(x, gamma, new Float32Array(C), C).y, { atol: 1e-4, rtol: 1e-4 }, 'offset rows');
  });

  it('C = 1 gives beta (zero variance) and a NaN in a row makes that row NaN only', async () => {
    const one = layerNorm(tensor([5, -2, 7], [3, 1]), tensor([2]), tensor([0.25]), 1e-12);
    assertClose(await one.y.data(), [0.25, 0.25, 0.25], TOL.exact, 'C=1');
    const x = uniform(3 * 8, 4);
    x[8 + 3] = NaN;
    const out = layerNorm(tensor(x, [3, 8]), tensor(new Float32Array(8).fill(1)), tensor(new Float32Array(8)));
    const y = await out.y.data();
    for (let i = 0; i < 24; i++) expect(Number.isNaN(y[i])).toBe(i >= 8 && i < 16);
    expect(Number.isNaN((await out.mean.data())[1])).toBe(true);
  });

  it('keeps leading dims and rejects bad shapes with the op name', () => {
    const out = layerNorm(tensor(new Float32Array(2 * 3 * 4), [2, 3, 4]), tensor(new Float32Array(4)), tensor(new Float32Array(4)));
    expect(out.y.shape).toEqual([2, 3, 4]);
    expect(out.mean.shape).toEqual([6]);
    expect(() => layerNorm(tensor(new Float32Array(6), [2, 3]), tensor(new Float32Array(4)), tensor(new Float32Array(3))))
      .toThrow('layerNorm: gamma must have shape [3] (the last axis of x [2, 3]), got [4]');
  });
});

describe('layerNormBackward', () => {
  for (const C of [1, 7, 128, 129, 513, 768, 1024]) {
    it(`matches float64, C = ${C}`, async () => {
      for (const rows of [1, 3, 37]) {
        const r = await runBackward(rows, C, {}, C + rows);
        assertClose(r.dx, r.ref.dx, TOL.reduction, `dx rows=${rows} C=${C}`);
        assertClose(r.dgamma, r.ref.dgamma, TOL.reduction, `dgamma rows=${rows} C=${C}`);
        assertClose(r.dbeta, r.ref.dbeta, TOL.reduction, `dbeta rows=${rows} C=${C}`);
      }
    });
  }

  it('every layout and block size', async () => {
    const layouts: LayerNormVariant[] = [
      { vec4: false, wg: 16, tpr: 1, rowsPerBlock: 1 }, { vec4: false, wg: 256, tpr: 32, rowsPerBlock: 5 },
      { vec4: true, wg: 16, tpr: 1, rowsPerBlock: 64 }, { vec4: true, wg: 64, tpr: 64, rowsPerBlock: 7 },
    ];
    for (const v of layouts) {
      const r = await runBackward(67, 132, v, 5);
      const label = JSON.stringify(v);
      assertClose(r.dx, r.ref.dx, TOL.reduction, `dx ${label}`);
      assertClose(r.dgamma, r.ref.dgamma, TOL.reduction, `dgamma ${label}`);
      assertClose(r.dbeta, r.ref.dbeta, TOL.reduction, `dbeta ${label}`);
    }
  });

  it('agrees with central finite differences of the float64 forward', async () => {
    const rows = 3;
    const C = 5;
    const eps = 1e-5;
    const x = uniform(rows * C, 21, -2, 2);
    const gamma = uniform(C, 22, 0.5, 1.5);
    const beta = uniform(C, 23);
    const dy = uniform(rows * C, 24);
    const [nx, ng, nb] = numericVjp(([xx, g, b]) => layerNormRef(xx, g, b, C, eps).y, [x, gamma, beta], dy);
    const out = tidy(() => {
      const xt = tensor(x, [rows, C]);
      const g = tensor(gamma);
      const f = layerNorm(xt, g, tensor(beta), eps);
      return layerNormBackward(tensor(dy, [rows, C]), xt, g, f.mean, f.rstd);
    });
    const tol = { atol: 1e-5, rtol: 1e-4 };
    assertClose(await out.dx.data(), nx, tol, 'dx vs finite differences');
    assertClose(await out.dgamma.data(), ng, tol, 'dgamma vs finite differences');
    assertClose(await out.dbeta.data(), nb, tol, 'dbeta vs finite differences');
  });

  it('is deterministic: two runs give identical bits', async () => {
    const a = await runBackward(301, 768, {}, 3);
    const b = await runBackward(301, 768, {}, 3);
    for (const k of ['dx', 'dgamma', 'dbeta'] as const) {
      expect(Buffer.from(a[k].buffer).equals(Buffer.from(b[k].buffer)), k).toBe(true);
    }
  });
});
