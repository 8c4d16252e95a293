import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidy, ops } from '../src/node.ts';
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type UnaryOp } from '../src/kernels/elementwise.ts';
import { broadcastShapes, broadcastStrides, collapseAxes } from '../src/kernels/shape.ts';
import { binaryRef, broadcastRef, unaryRef } from './reference/elementwise.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

const SIZES = [1, 7, 127, 129, 513, 70_001];

// Inputs in each op's domain; exp's error grows with |x| so it gets a modest range.
const DOMAIN: Partial<Record<UnaryOp, [number, number]>> = {
  log: [1e-3, 50], sqrt: [0, 50], rsqrt: [1e-2, 50], reciprocal: [0.05, 5], powScalar: [0.01, 4], exp: [-10, 10],
};
const PARAMS: Partial<Record<UnaryOp, [number, number]>> = { affine: [1.5, -0.25], powScalar: [2.5, 0], clamp: [-0.3, 0.4] };
const TRANSCENDENTAL = new Set<UnaryOp>(['exp', 'log', 'tanh', 'sigmoid', 'powScalar', 'rsqrt']);

describe('unary ops match float64', () => {
  for (const op of Object.keys(UNARY_OPS) as UnaryOp[]) {
    it(op, async () => {
      for (const n of SIZES) {
        const [lo, hi] = DOMAIN[op] ?? [-6, 6];
        const [alpha, beta] = PARAMS[op] ?? [0, 0];
        const x = uniform(n, n + op.length, lo, hi);
        const got = await tidy(() => ops.unary(op, tensor(x), alpha, beta)).data();
        const want = Array.from(x, (v) => unaryRef(op, v, alpha, beta));
        assertClose(got, want, TRANSCENDENTAL.has(op) ? TOL.transcendental : TOL.arithmetic, `${op} n=${n}`);
      }
    });
  }

  it('propagates NaN and handles +-1000 without overflow to NaN', async () => {
    const x = new Float32Array([NaN, 1000, -1000, 0]);
    for (const op of ['tanh', 'sigmoid', 'relu', 'exp', 'abs', 'neg', 'square', 'clamp'] as UnaryOp[]) {
      const got = await ops.unary(op, tensor(x), -1, 1).data();
      const want = Array.from(x, (v) => unaryRef(op, v, -1, 1));
      assertClose(got, want, TOL.transcendental, op);
    }
  });
});

describe('binary ops with broadcasting match float64', () => {
  const cases: [number[], number[]][] = [
    [[129], [129]], [[7, 127], [127]], [[3, 1, 5], [1, 7, 1]], [[513, 1], [1, 3]], [[1], [2, 3, 4]],
    [[], [7]], [[2, 3, 4, 5, 1, 2, 1, 3], [3, 1, 5, 7, 2, 1, 3]],
    // Axes that collapse before launch: [4, 7, 5] + [7, 5] is [4, 35] + [35]; [3, 5, 7] + [3, 1, 7]
    // keeps three axes; size-1 axes everywhere is rank 1.
    [[4, 7, 5], [7, 5]], [[3, 5, 7], [3, 1, 7]], [[1, 1], [1]], [[2, 1, 129], [1, 3, 1]],
  ];
  for (const op of Object.keys(BINARY_OPS) as BinaryOp[]) {
    it(op, async () => {
      for (const [as, bs] of cases) {
        const na = as.reduce((p, d) => p * d, 1);
        const nb = bs.reduce((p, d) => p * d, 1);
        const positive = op === 'pow';
        const a = uniform(na, na, positive ? 0.1 : -2, 2);
        const b = uniform(nb, nb + 1, positive ? -2 : 0.5, 2);
        const ref = broadcastRef(op, a, as, b, bs);
        const y = ops.binary(op, tensor(a, as), tensor(b, bs));
        expect(y.shape).toEqual(ref.shape);
        assertClose(await y.data(), ref.out, op === 'pow' ? TOL.transcendental : TOL.arithmetic, `${op} ${JSON.stringify([as, bs])}`);
      }
    });
  }

  it('maximum/minimum propagate NaN from either side', async () => {
    const a = tensor([NaN, 1, 2]);
    const b = tensor([0, NaN, 3]);
    for (const op of ['maximum', 'minimum'] as const) {
      assertClose(await ops.binary(op, a, b).data(), [NaN, NaN, binaryRef(op, 2, 3)], TOL.exact, op);
    }
  });

  it('names the op and both shapes when shapes do not broadcast', () => {
    expect(() => ops.add(tensor(new Float32Array(6), [2, 3]), tensor(new Float32Array(4), [4])))
      .toThrow('add: shapes [2, 3] and [4] do not broadcast (axis 1: 3 vs 4)');
  });

  it('collapses axes that both operands walk alike, and only those', () => {
    const collapse = (a: number[], b: number[]) => {
      const out = broadcastShapes('add', a, b);
      return collapseAxes(out, broadcastStrides(a, out), broadcastStrides(b, out));
    };
    expect(collapse([16, 128, 128], [128])).toEqual({ shape: [2048, 128], strides: [[128, 1], [0, 1]] });
    expect(collapse([16, 128, 128], [128, 128])).toEqual({ shape: [16, 16384], strides: [[16384, 1], [0, 1]] });
    expect(collapse([16, 128, 1], [16, 128, 1])).toEqual({ shape: [2048], strides: [[1], [1]] });
    expect(collapse([3, 5, 7], [3, 1, 7])).toEqual({ shape: [3, 5, 7], strides: [[35, 7, 1], [7, 0, 1]] });
    expect(collapse([7, 1, 5], [1, 3, 1])).toEqual({ shape: [7, 3, 5], strides: [[5, 0, 1], [0, 1, 0]] });
    expect(collapse([1, 1], [1])).toEqual({ shape: [1], strides: [[0], [0]] });
  });

  it('rejects integer tensors with the op name and dtype', () => {
    expect(() => ops.exp(tensor(new Int32Array([1, 2])))).toThrow('exp: expected f32 or f16 input, got i32 [2]');
  });
});

describe('addInto (in-place accumulation)', () => {
  it('adds into its first operand at awkward sizes and names a shape mismatch', async () => {
    const { addInto } = await import('../src/kernels/elementwise.ts');
    for (const n of [1, 7, 513]) {
      const a = Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3);
      const b = Float32Array.from({ length: n }, (_, i) => 1 - i * 0.25);
      const acc = tensor(a, [n]);
      addInto(acc, tensor(b, [n]));
      expect(Array.from(await acc.data())).toEqual(Array.from(a, (x, i) => Math.fround(x + b[i])));
      acc.dispose();
    }
    expect(() => addInto(tensor(new Float32Array(4), [4]), tensor(new Float32Array(4), [2, 2]))).toThrow('addInto: x [2, 2] must have acc\'s shape [4]');
  });
});
