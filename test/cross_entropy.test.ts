import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidy } from '../src/node.ts';
import { sparseCrossEntropy, sparseCrossEntropyBackward, type CrossEntropyOptions } from '../src/kernels/cross_entropy.ts';
import type { RowLayout } from '../src/kernels/launch.ts';
import { crossEntropyBackwardRef, crossEntropyRef, type CrossEntropyRefOptions } from './reference/cross_entropy.ts';
import { numericGrad } from './util/gradcheck.ts';
import { gpu } from './util/gpu.ts';
import { randomInts, uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

const LAYOUTS: (Partial<RowLayout> | undefined)[] = [undefined, { wg: 256, tpr: 256 }, { wg: 64, tpr: 32 }];

/** Labels in [0, V) with the first row at 0, the second at V-1 and every fifth ignored. */
function labelsFor(N: number, V: number, seed: number): Int32Array {
  const labels = randomInts(N, seed, 0, V);
  if (N > 0) labels[0] = 0;
  if (N > 1) labels[1] = V - 1;
  for (let i = 4; i < N; i += 5) labels[i] = -100;
  return labels;
}

async function run(logits: Float32Array, labels: Int32Array, V: number, opts: CrossEntropyRefOptions & { dLoss?: number } = {}, layout?: Partial<RowLayout>) {
  const N = labels.length;
  return tidy(() => {
    const x = tensor(logits, [N, V]);
    const o: CrossEntropyOptions = { ignoreIndex: opts.ignoreIndex, layout, weights: opts.weights ? tensor(Float32Array.from(opts.weights)) : undefined };
    const f = sparseCrossEntropy(x, tensor(labels), o);
    const d = sparseCrossEntropyBackward(x, tensor(labels), f.lse, { ...o, dLoss: opts.dLoss });
    return { loss: f.loss, lse: f.lse, d };
  });
}

describe('sparse cross-entropy', () => {
  for (const V of [1, 7, 129, 513, 30522]) {
    it(`forward and backward match float64, V = ${V}`, async () => {
      for (const N of V > 1000 ? [3] : [1, 3, 37]) {
        for (const layout of LAYOUTS) {
          const logits = uniform(N * V, V + N, -4, 4);
          const labels = labelsFor(N, V, V + N);
          const weights = uniform(N, N, 0.1, 2);
          for (const opts of [{}, { weights, dLoss: 0.75 }]) {
            const out = await run(logits, labels, V, opts, layout);
            const ref = crossEntropyRef(logits, labels, V, opts);
            const label = `N=${N} V=${V} ${JSON.stringify(layout)} weights=${'weights' in opts}`;
            assertClose(await out.loss.data(), [ref.loss], TOL.reduction, `loss ${label}`);
            assertClose(await out.lse.data(), ref.lse, TOL.reduction, `lse ${label}`);
            assertClose(await out.d.data(), crossEntropyBackwardRef(logits, labels, V, opts), TOL.transcendental, `dlogits ${label}`);
          }
        }
      }
    });
  }

  it('the scalar backward (V < 4, or forced) matches float64 too', async () => {
    for (const [N, V] of [[37, 7], [5, 129], [3, 4]]) {
      const logits = uniform(N * V, N + V, -4, 4);
      const labels = labelsFor(N, V, N);
      const d = await tidy(() => {
        const x = tensor(logits, [N, V]);
        const f = sparseCrossEntropy(x, labels);
        return sparseCrossEntropyBackward(x, labels, f.lse, { scalar: true });
      }).data();
      assertClose(d, crossEntropyBackwardRef(logits, labels, V), TOL.transcendental, `scalar backward N=${N} V=${V}`);
    }
  });

  it('backward agrees with central finite differences of the float64 loss', async () => {
    const N = 4;
    const V = 6;
    const logits = uniform(N * V, 41, -2, 2);
    const labels = new Int32Array([0, 5, -100, 3]);
    const weights = [0.5, 2, 1, 1.5];
    const numeric = numericGrad((x) => crossEntropyRef(x, labels, V, { weights }).loss, logits);
    const out = await run(logits, labels, V, { weights });
    assertClose(await out.d.data(), numeric, { atol: 1e-6, rtol: 1e-4 }, 'dlogits vs finite differences');
  });

  it('takes dLoss as a [] tensor, and handles +-1000 logits', async () => {
    const V = 5;
    const logits = new Float32Array([1000, -1000, 0, 999, 1000, -1000, -1000, -1000, -1000, -999]);
    const labels = new Int32Array([3, 0]);
    const out = tidy(() => {
      const x = tensor(logits, [2, V]);
      const f = sparseCrossEntropy(x, labels);
      return { loss: f.loss, d: sparseCrossEntropyBackward(x, labels, f.lse, { dLoss: tensor([2], []) }) };
    });
    const ref = crossEntropyRef(logits, labels, V);
    assertClose(await out.loss.data(), [ref.loss], TOL.reduction, 'loss');
    // lse ~ -998 is stored in f32 (ulp 6e-5), so exp(x - lse) carries up to ~3e-5 relative error.
    assertClose(await out.d.data(), crossEntropyBackwardRef(logits, labels, V, { dLoss: 2 }), { atol: 1e-6, rtol: 1e-4 }, 'dlogits');
  });

  it('gives loss 0 and zero gradients when every row is ignored or every weight is zero', async () => {
    const V = 9;
    const logits = uniform(3 * V, 5);
    const ignored = await run(logits, new Int32Array([-100, -100, -100]), V);
    expect(Array.from(await ignored.loss.data())).toEqual([0]);
    expect((await ignored.d.data()).every((v) => v === 0)).toBe(true);
    const zero = await run(logits, new Int32Array([1, 2, 3]), V, { weights: [0, 0, 0] });
    expect(Array.from(await zero.loss.data())).toEqual([0]);
    expect((await zero.d.data()).every((v) => v === 0)).toBe(true);
    const custom = await run(logits, new Int32Array([7, 2, 7]), V, { ignoreIndex: 7 });
    assertClose(await custom.loss.data(), [crossEntropyRef(logits, [7, 2, 7], V, { ignoreIndex: 7 }).loss], TOL.reduction, 'ignoreIndex 7');
  });

  it('propagates NaN in the logits to the loss', async () => {
    const V = 8;
    const logits = uniform(2 * V, 6);
    logits[V + 3] = NaN;
    const out = await run(logits, new Int32Array([1, 2]), V);
    expect(Number.isNaN((await out.loss.data())[0])).toBe(true);
  });

  it('rejects an out-of-range label: on the host for host labels, at the next download for GPU labels', async () => {
    const V = 8;
    const x = tensor(uniform(2 * V, 7), [2, V]);
    expect(() => sparseCrossEntropy(x, new Int32Array([1, 8])))
      .toThrow('sparseCrossEntropy: labels [2] holds 8 at [1]; expected labels in [0, 8) (the classes of the logits), or -100 to ignore a row');
    expect(() => sparseCrossEntropy(x, new Int32Array([-1, 2]))).toThrow('labels [2] holds -1 at [0]');
    const f = sparseCrossEntropy(x, tensor(new Int32Array([1, 8])), { names: { input: 'labels', classes: 'num_labels = 8' } });
    await expect(f.loss.data()).rejects.toThrow('sparseCrossEntropy: labels [2] holds 8 at [1]; expected labels in [0, 8) (num_labels = 8), or -100 to ignore a row');
    // The loss itself stays NaN (never a valid-looking number), and the bad row's gradient too.
    expect(Number.isNaN((await f.loss.data())[0])).toBe(true);
    const d = await sparseCrossEntropyBackward(x, tensor(new Int32Array([1, 8])), f.lse).data();
    expect(d.slice(V).every(Number.isNaN)).toBe(true);
    expect(d.slice(0, V).some(Number.isNaN)).toBe(false);
    // ignoreIndex is not an error.
    const ok = sparseCrossEntropy(x, tensor(new Int32Array([-100, 3])));
    expect(Number.isFinite((await ok.loss.data())[0])).toBe(true);
  });

  it('is deterministic: two runs give identical bits', async () => {
    const N = 61;
    const V = 1000;
    const logits = uniform(N * V, 8, -5, 5);
    const labels = labelsFor(N, V, 9);
    const a = await run(logits, labels, V);
    const b = await run(logits, labels, V);
    for (const [p, q] of [[a.loss, b.loss], [a.d, b.d]]) {
      const [pa, qa] = [await p.data(), await q.data()];
      expect(Buffer.from(pa.buffer).equals(Buffer.from(qa.buffer))).toBe(true);
    }
  });

  it('names the op and the shapes on bad arguments', () => {
    const x = tensor(new Float32Array(6), [2, 3]);
    expect(() => sparseCrossEntropy(x, tensor(new Int32Array(3)))).toThrow('sparseCrossEntropy: labels must have 2 entries');
    expect(() => sparseCrossEntropy(x, tensor(new Float32Array(2)))).toThrow('sparseCrossEntropy: expected i32 input, got f32 [2]');
    expect(() => sparseCrossEntropy(tensor(new Float32Array(6)), tensor(new Int32Array(6)))).toThrow('logits must be (N, V), got shape [6]');
  });
});
