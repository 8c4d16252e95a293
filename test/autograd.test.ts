// The tape and the elementwise / reduction / shape rules, checked against central finite
// differences of float64 references (independent of any backward rule).
import { beforeAll, describe, expect, it } from 'vitest';
import { memory, tensor, tidy, tidyAsync, type Tensor } from '../src/node.ts';
import * as ag from '../src/autograd/elementwise.ts';
import { max, mean, sum } from '../src/autograd/reduce.ts';
import { permute, reshape, transpose } from '../src/autograd/shape.ts';
import { backward, noGrad, record, requireGrad, zeroGrad } from '../src/autograd/tape.ts';
import { add as addRaw, type BinaryOp, type UnaryOp } from '../src/kernels/elementwise.ts';
import { broadcastRef, unaryRef } from './reference/elementwise.ts';
import { numericVjp } from './util/gradcheck.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { TOL, assertClose, type Tolerance } from './util/tolerance.ts';

beforeAll(gpu);

// f32 forward + f32 backward against a float64 central difference (h = 1e-6): a few f32
// roundings per element, and the difference quotient's own error (~h^2 f''' + eps/h ~ 1e-10).
const GRAD: Tolerance = { atol: 1e-5, rtol: 1e-4 };

const size = (s: number[]) => s.reduce((p, d) => p * d, 1);

/** Leaf tensors that require gradients, from host values. */
function leaf(values: Float32Array, shape: number[]): Tensor {
  return requireGrad(tensor(values, shape));
}

/** Runs backward(sum(w * y)) so that w is the upstream gradient of y; returns the grads of xs. */
async function gradsOf(y: Tensor, w: Float32Array, xs: Tensor[]): Promise<Float32Array[]> {
  const objective = sum(ag.mul(y, tensor(w, y.shape)));
  backward(objective);
  const grads = await Promise.all(xs.map((x) => x.grad!.data() as Promise<Float32Array>));
  zeroGrad(xs);
  return grads;
}

const UNARY: { op: UnaryOp; fn: (x: Tensor) => Tensor; lo: number; hi: number; a?: number; b?: number }[] = [
  { op: 'neg', fn: ag.neg, lo: -2, hi: 2 },
  { op: 'affine', fn: (x) => ag.affine(x, 1.5, -0.25), lo: -2, hi: 2, a: 1.5, b: -0.25 },
  { op: 'exp', fn: ag.exp, lo: -3, hi: 3 },
  { op: 'log', fn: ag.log, lo: 0.2, hi: 4 },
  { op: 'sqrt', fn: ag.sqrt, lo: 0.2, hi: 4 },
  { op: 'rsqrt', fn: ag.rsqrt, lo: 0.2, hi: 4 },
  { op: 'abs', fn: ag.abs, lo: -2, hi: 2 },
  { op: 'tanh', fn: ag.tanh, lo: -3, hi: 3 },
  { op: 'sigmoid', fn: ag.sigmoid, lo: -4, hi: 4 },
  { op: 'relu', fn: ag.relu, lo: -2, hi: 2 },
  { op: 'square', fn: ag.square, lo: -2, hi: 2 },
  { op: 'reciprocal', fn: ag.reciprocal, lo: 0.3, hi: 3 },
  { op: 'powScalar', fn: (x) => ag.powScalar(x, 2.5), lo: 0.2, hi: 3, a: 2.5 },
  { op: 'clamp', fn: (x) => ag.clamp(x, -0.5, 0.7), lo: -2, hi: 2, a: -0.5, b: 0.7 },
];

describe('unary rules match finite differences', () => {
  for (const { op, fn, lo, hi, a = 0, b = 0 } of UNARY) {
    it(op, async () => {
      const n = 129;
      const x = uniform(n, 11 + op.length, lo, hi);
      const w = uniform(n, 5, -1, 1);
      const got = await tidyAsync(async () => {
        const xt = leaf(x, [n]);
        return (await gradsOf(fn(xt), w, [xt]))[0];
      });
      const [want] = numericVjp(([v]) => Array.from(v, (e) => unaryRef(op, e, a, b)), [x], w);
      assertClose(got, want, GRAD, op);
    });
  }
});

describe('binary rules with broadcasting match finite differences', () => {
  const FN: Record<BinaryOp, (a: Tensor, b: Tensor) => Tensor> = {
    add: ag.add, sub: ag.sub, mul: ag.mul, div: ag.div, maximum: ag.maximum, minimum: ag.minimum, pow: ag.pow,
  };
  const shapes: [number[], number[]][] = [[[7, 5], [7, 5]], [[3, 1, 5], [1, 4, 1]], [[2, 3], [3]], [[], [2, 3]]];
  for (const op of Object.keys(FN) as BinaryOp[]) {
    it(op, async () => {
      for (const [as, bs] of shapes) {
        const positive = op === 'pow' || op === 'div';
        const a = uniform(size(as), 3, positive ? 0.5 : -2, 2);
        const b = uniform(size(bs), 4, positive ? 0.5 : -2, 2);
        const outShape = broadcastRef(op, a, as, b, bs).shape;
        const w = uniform(size(outShape), 6, -1, 1);
        const [ga, gb] = await tidyAsync(async () => {
          const at = leaf(a, as);
          const bt = leaf(b, bs);
          return gradsOf(FN[op](at, bt), w, [at, bt]);
        });
        const [wa, wb] = numericVjp(([x, y]) => broadcastRef(op, x, as, y, bs).out, [a, b], w);
        assertClose(ga, wa, GRAD, `${op} d/da ${JSON.stringify([as, bs])}`);
        assertClose(gb, wb, GRAD, `${op} d/db ${JSON.stringify([as, bs])}`);
      }
    });
  }

  it('maximum/minimum split the gradient on ties', async () => {
    const [ga, gb] = await tidyAsync(async () => {
      const a = leaf(new Float32Array([1, 2, 3]), [3]);
      const b = leaf(new Float32Array([1, 5, 0]), [3]);
      return gradsOf(ag.maximum(a, b), new Float32Array([1, 1, 1]), [a, b]);
    });
    assertClose(ga, [0.5, 0, 1], TOL.exact, 'd/da');
    assertClose(gb, [0.5, 1, 0], TOL.exact, 'd/db');
  });
});

describe('reductions and shape ops match finite differences', () => {
  const shape = [3, 4, 5];
  const x = uniform(60, 21, -2, 2);

  function reduceRef(kind: 'sum' | 'mean' | 'max', v: ArrayLike<number>, axes: number[]): number[] {
    const out = new Map<string, number[]>();
    for (let i = 0; i < 60; i++) {
      const c = [Math.floor(i / 20), Math.floor(i / 5) % 4, i % 5];
      const key = c.map((d, j) => (axes.includes(j) ? 0 : d)).join(',');
      (out.get(key) ?? out.set(key, []).get(key)!).push(v[i]);
    }
    return [...out.values()].map((g) => kind === 'max' ? Math.max(...g) : g.reduce((p, q) => p + q, 0) / (kind === 'mean' ? g.length : 1));
  }

  for (const kind of ['sum', 'mean', 'max'] as const) {
    for (const axes of [[0], [1], [2], [0, 2], [0, 1, 2]]) {
      it(`${kind} over axes ${axes.join(',')}`, async () => {
        const fn = { sum, mean, max }[kind];
        const nOut = reduceRef(kind, x, axes).length;
        const w = uniform(nOut, 9, -1, 1);
        const got = await tidyAsync(async () => {
          const xt = leaf(x, shape);
          const y = fn(xt, { axis: axes, keepDims: axes.length === 1 });
          expect(y.size).toBe(nOut);
          return (await gradsOf(y, w, [xt]))[0];
        });
        const [want] = numericVjp(([v]) => reduceRef(kind, v, axes), [x], w);
        assertClose(got, want, GRAD, `${kind} ${axes}`);
      });
    }
  }

  it('max shares the gradient among tied maxima', async () => {
    const g = await tidyAsync(async () => {
      const xt = leaf(new Float32Array([1, 3, 3, 0, 2, 1]), [2, 3]);
      return (await gradsOf(max(xt, { axis: 1 }), new Float32Array([1, 4]), [xt]))[0];
    });
    assertClose(g, [0, 0.5, 0.5, 0, 4, 0], TOL.exact, 'ties');
  });

  it('reshape, permute and transpose route gradients back', async () => {
    const w = uniform(60, 10, -1, 1);
    const got = await tidyAsync(async () => {
      const xt = leaf(x, shape);
      const y = transpose(permute(reshape(xt, [5, 3, 4]), [2, 0, 1]));
      expect(y.shape).toEqual([4, 3, 5]);
      return (await gradsOf(y, w, [xt]))[0];
    });
    // y[i,j,k] = r[j,k,i] with r = x viewed as [5,3,4]; so dx (flat) = w gathered back.
    const want = new Float64Array(60);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 5; k++) want[k * 12 + j * 4 + i] = w[(i * 3 + j) * 5 + k];
    assertClose(got, want, TOL.exact, 'permutation');
  });
});

describe('the tape', () => {
  it('sums the gradient of a tensor used several times, through a composite graph', async () => {
    const xv = uniform(6, 31, -1, 1);
    const wv = uniform(6, 32, -1, 1);
    // f(x, w) = sum(tanh(x * w + x)^2) + mean(x * x)
    const f64 = ([x, w]: Float64Array[]) => {
      let s = 0;
      let m = 0;
      for (let i = 0; i < 6; i++) {
        s += Math.tanh(x[i] * w[i] + x[i]) ** 2;
        m += (x[i] * x[i]) / 6;
      }
      return [s + m];
    };
    const [gx, gw] = await tidyAsync(async () => {
      const x = leaf(xv, [2, 3]);
      const w = leaf(wv, [2, 3]);
      const loss = ag.add(sum(ag.square(ag.tanh(ag.add(ag.mul(x, w), x)))), mean(ag.mul(x, x)));
      backward(loss);
      const grads = await Promise.all([x.grad!.data(), w.grad!.data()]);
      zeroGrad([x, w]);
      return grads;
    });
    const [wx, ww] = numericVjp(f64, [xv, wv], [1]);
    assertClose(gx, wx, GRAD, 'dx');
    assertClose(gw, ww, GRAD, 'dw');
  });

  it('accumulates into .grad across backward calls until zeroGrad', async () => {
    const x = leaf(new Float32Array([1, 2, 3]), [3]);
    for (let i = 0; i < 2; i++) tidy(() => backward(sum(ag.scale(x, 2))));
    expect(Array.from(await x.grad!.data())).toEqual([4, 4, 4]);
    zeroGrad([x]);
    expect(x.grad).toBeNull();
    tidy(() => backward(sum(ag.scale(x, 3))));
    expect(Array.from(await x.grad!.data())).toEqual([3, 3, 3]);
    zeroGrad([x]);
    x.dispose();
  });

  it('takes an upstream gradient for a non-scalar root, and refuses a non-scalar root without one', async () => {
    const x = leaf(new Float32Array([1, 2, 3, 4]), [2, 2]);
    tidy(() => {
      const y = ag.square(x);
      expect(() => backward(y)).toThrow(/has 4 elements; pass \{ grad \}/);
      backward(y, { grad: tensor([1, 0, -1, 0.5], [2, 2]) });
    });
    expect(Array.from(await x.grad!.data())).toEqual([2, 0, -6, 4]);
    zeroGrad([x]);
    x.dispose();
  });

  it('records nothing under noGrad, and nothing for ops on tensors that need no gradient', () => {
    tidy(() => {
      const x = leaf(new Float32Array([1, 2]), [2]);
      const c = tensor([3, 4]);
      const y = noGrad(() => ag.mul(x, c));
      expect(y.requiresGrad).toBe(false);
      expect(y.node).toBeNull();
      const z = ag.mul(c, c);
      expect(z.node).toBeNull();
      expect(() => backward(sum(z))).toThrow(/does not require a gradient/);
      expect(ag.mul(x, c).requiresGrad).toBe(true);
    });
  });

  it('tells each rule which inputs need gradients, and skips branches with no trainable leaf', async () => {
    const seen: boolean[][] = [];
    const spy = (a: Tensor, b: Tensor) => record('spy', [a, b], addRaw(a, b), ({ needs }) => {
      seen.push([...needs]);
      return (dy) => [needs[0] ? dy : null, needs[1] ? dy : null];
    });
    const trainable = leaf(new Float32Array([1, 2]), [2]);
    const frozen = tensor([5, 6]); // requiresGrad false: a frozen parameter
    tidy(() => {
      const frozenBranch = ag.exp(frozen);
      expect(frozenBranch.node).toBeNull(); // no node: no backward work at all
      backward(sum(spy(trainable, frozenBranch)));
    });
    expect(seen).toEqual([[true, false]]);
    expect(frozen.grad).toBeNull();
    expect(Array.from(await trainable.grad!.data())).toEqual([1, 1]);
    zeroGrad([trainable]);
    trainable.dispose();
    frozen.dispose();
  });

  it('frees the graph after backward; a second pass needs retainGraph', () => {
    const x = leaf(new Float32Array([1, 2]), [2]);
    tidy(() => {
      const loss = sum(ag.exp(x));
      backward(loss);
      expect(() => backward(loss)).toThrow(/already freed.*retainGraph/);
      const kept = sum(ag.exp(x));
      backward(kept, { retainGraph: true });
      backward(kept);
    });
    zeroGrad([x]);
    x.dispose();
  });

  it('returns every intermediate to the pool: after backward, and when outputs are dropped without one', async () => {
    const x = leaf(uniform(64, 1), [8, 8]);
    const w = leaf(uniform(64, 2), [8, 8]);
    const step = (withBackward: boolean) => tidy(() => {
      const h = ag.tanh(ag.mul(x, w));
      const loss = mean(ag.square(ag.sub(h, ag.sigmoid(w))));
      if (withBackward) backward(loss);
    });
    step(true);
    zeroGrad([x, w]);
    const before = memory();
    for (let i = 0; i < 5; i++) {
      step(true);
      zeroGrad([x, w]);
      step(false);
    }
    const after = memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.bytesInUse).toBe(before.bytesInUse);
    x.dispose();
    w.dispose();
  });
});
