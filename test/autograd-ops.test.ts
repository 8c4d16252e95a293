// The tape's rules for the fused kernels (matmul with its epilogue, attention, layerNorm, GELU,
// softmax, cross-entropy, embedding, row gather, dropout): gradients of every input against
// central finite differences of float64 references, on small awkward shapes.
import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidyAsync, type Tensor } from '../src/node.ts';
import * as ag from '../src/autograd/index.ts';
import { dropout as dropoutRaw } from '../src/kernels/dropout.ts';
import { paddingMaskToAdditive } from '../src/kernels/attention.ts';
import { attention as attentionRef } from './reference/bert.ts';
import { crossEntropyRef } from './reference/cross_entropy.ts';
import { embeddingRef, gatherRowsRef } from './reference/embedding.ts';
import { gelu64 } from './reference/gelu.ts';
import { layerNormRef } from './reference/layernorm.ts';
import { matmulRef } from './reference/matmul.ts';
import { softmaxRef } from './reference/softmax.ts';
import { numericVjp } from './util/gradcheck.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { TOL, assertClose, type Tolerance } from './util/tolerance.ts';

beforeAll(gpu);

// As in autograd.test.ts: f32 gradients (sums of at most a few dozen terms here) against float64
// central differences.
const GRAD: Tolerance = { atol: 1e-5, rtol: 1e-4 };

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/**
 * Checks d(sum(w * f(inputs)))/d(input) for each input against finite differences of `ref`.
 * `f` gets GPU leaves (requiring gradients); `ref` gets float64 copies.
 */
async function check(
  label: string,
  values: Float32Array[], shapes: number[][],
  f: (xs: Tensor[]) => Tensor,
  ref: (xs: Float64Array[]) => ArrayLike<number>,
  tol: Tolerance = GRAD,
): Promise<void> {
  const got = await tidyAsync(async () => {
    const xs = values.map((v, i) => ag.requireGrad(tensor(v, shapes[i])));
    const y = f(xs);
    const w = uniform(y.size, 77, -1, 1);
    ag.backward(ag.sum(ag.mul(y, tensor(w, y.shape))));
    const grads = await Promise.all(xs.map((x) => x.grad!.data()));
    ag.zeroGrad(xs);
    return { grads, w, yShape: y.shape };
  });
  const want = numericVjp(ref, values, got.w);
  want.forEach((g, i) => assertClose(got.grads[i], g, tol, `${label}: d/dinput${i}`));
}

// ------------------------------------------------------------------ matmul

// The rule's operand algebra (which product gives dA and dB, and how broadcast batch dimensions
// are summed) depends only on the transposes and shapes; the epilogue's (GELU backward from the
// saved pre-activation, bias gradient, residual) only on the epilogue. Each is covered on its own,
// which keeps the number of distinct matmul pipelines (each a shader compile) small.
describe('matmul rule: every transpose, broadcast batch and epilogue', () => {
  const cases: { a: number[]; b: number[]; transA?: boolean; transB?: boolean }[] = [
    { a: [5, 3], b: [3, 7] },
    { a: [2, 5, 3], b: [7, 3], transB: true }, // a Linear: batched activations, shared (out, in) weight
    { a: [2, 3, 5], b: [3, 7], transA: true },
    { a: [3, 5], b: [2, 7, 3], transA: true, transB: true },
    { a: [2, 1, 5, 3], b: [3, 3, 7] }, // both batched, broadcast both ways
  ];
  for (const c of cases) {
    it(JSON.stringify(c), async () => {
      await check('matmul', [uniform(size(c.a), 1), uniform(size(c.b), 2)], [c.a, c.b],
        ([a, b]) => ag.matmul(a, b, { transA: c.transA, transB: c.transB }),
        ([a, b]) => matmulRef(a, c.a, b, c.b, { transA: c.transA, transB: c.transB }).out);
    });
  }

  for (const act of ['gelu', 'gelu_tanh'] as const) {
    it(`linear (torch's (out, in) weight) with bias, ${act} and residual`, async () => {
      const [x, w] = [[2, 5, 3], [7, 3]];
      await check(`linear ${act}`, [uniform(30, 1), uniform(21, 2), uniform(7, 3), uniform(70, 4)], [x, w, [7], [2, 5, 7]],
        ([a, b, bias, residual]) => ag.linear(a, b, bias, { activation: act, residual }),
        ([a, b, bias, residual]) => matmulRef(a, x, b, w, { transB: true, bias, activation: act, residual }).out);
    });
  }

  it('a frozen weight gets no gradient and the input still does', async () => {
    const g = await tidyAsync(async () => {
      const x = ag.requireGrad(tensor(uniform(30, 8), [2, 5, 3]));
      const w = tensor(uniform(21, 9), [7, 3]);
      ag.backward(ag.sum(ag.linear(x, w)));
      expect(w.grad).toBeNull();
      const d = await x.grad!.data();
      ag.zeroGrad([x]);
      return d;
    });
    expect(g.length).toBe(30);
  });
});

// ------------------------------------------------------------------ the other fused kernels

describe('fused-kernel rules', () => {
  it('layerNorm: x, gamma and beta', async () => {
    const [R, C] = [5, 7];
    await check('layerNorm', [uniform(R * C, 1, -2, 2), uniform(C, 2, 0.5, 1.5), uniform(C, 3)], [[R, C], [C], [C]],
      ([x, g, b]) => ag.layerNorm(x, g, b, 1e-5),
      ([x, g, b]) => layerNormRef(x, g, b, C, 1e-5).y);
  });

  it('gelu, exact and tanh', async () => {
    for (const approx of ['none', 'tanh'] as const) {
      await check(`gelu ${approx}`, [uniform(129, 4, -4, 4)], [[129]],
        ([x]) => ag.gelu(x, approx),
        ([x]) => Array.from(x, (v) => gelu64(v, approx)));
    }
  });

  it('softmax over the last axis', async () => {
    await check('softmax', [uniform(3 * 9, 5, -3, 3)], [[3, 9]],
      ([x]) => ag.softmax(x),
      ([x]) => softmaxRef(x, 9));
  });

  it('crossEntropy with weights and an ignored row, labels on the GPU or the host', async () => {
    const [N, V] = [4, 11];
    const labels = [3, -100, 10, 0];
    const weights = [0.5, 1, 2, 1];
    for (const host of [false, true]) {
      await check('crossEntropy', [uniform(N * V, 6, -3, 3)], [[N, V]],
        ([x]) => ag.crossEntropy(x, host ? Int32Array.from(labels) : tensor(Int32Array.from(labels), [N], 'i32'), { weights: tensor(weights) }),
        ([x]) => [crossEntropyRef(x, labels, V, { weights }).loss]);
    }
  });

  it('embedding with repeated ids sums their gradients; gatherRows likewise', async () => {
    const ids = [[3, 0, 3], [4, 3, 1]];
    await check('embedding', [uniform(5 * 4, 7)], [[5, 4]],
      ([t]) => ag.embedding(t, tensor(Int32Array.from(ids.flat()), [2, 3], 'i32')),
      ([t]) => embeddingRef(t, 4, ids.flat()));
    const positions = [[2, 2], [0, 1]];
    await check('gatherRows', [uniform(2 * 3 * 4, 8)], [[2, 3, 4]],
      ([x]) => ag.gatherRows(x, tensor(Int32Array.from(positions.flat()), [2, 2], 'i32')),
      ([x]) => gatherRowsRef(x, 2, 3, 4, positions.flat()));
  });

  it('attention: q, k and v, with a padding mask', async () => {
    const [B, S, heads, D] = [2, 5, 2, 4];
    const mask = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]];
    const shape = [B, S, heads * D];
    await check('attention', [uniform(B * S * heads * D, 9, -1.5, 1.5), uniform(B * S * heads * D, 10, -1.5, 1.5), uniform(B * S * heads * D, 11)], [shape, shape, shape],
      ([q, k, v]) => ag.attention(q, k, v, { heads, mask: paddingMaskToAdditive(tensor(Int32Array.from(mask.flat()), [B, S], 'i32')) }),
      ([q, k, v]) => attentionRef(q, k, v, B, S, heads, mask));
  });

  it('dropout: the gradient is the same mask, regenerated from the seed', async () => {
    const [x, w] = [uniform(300, 12), uniform(300, 13)];
    const { dx, masked } = await tidyAsync(async () => {
      const xt = ag.requireGrad(tensor(x));
      ag.backward(ag.sum(ag.mul(ag.dropout(xt, 0.3, 1234), tensor(w))));
      const out = { dx: await xt.grad!.data(), masked: await dropoutRaw(tensor(w), 0.3, 1234).data() };
      ag.zeroGrad([xt]);
      return out;
    });
    assertClose(dx, masked, TOL.exact, 'dropout backward = dropout of the upstream gradient');
    expect(Array.from(dx).filter((v) => v === 0).length).toBeGreaterThan(50);
  });
});
