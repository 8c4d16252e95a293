// Differentiable elementwise ops over shaders/unary.wgsl and shaders/binary.wgsl: forward and
// backward side by side. Binary ops broadcast (NumPy rules); their gradients are summed back to
// each operand's shape.
import type { FloatDType } from '../gpu/dtype.ts';
import type { Tensor } from '../gpu/tensor.ts';
import * as k from '../kernels/elementwise.ts';
import { record, type BackwardRule, type SaveContext } from './tape.ts';
import { unbroadcast } from './shape.ts';

// 2^126: multiplying any normal f32 of magnitude >= 2^-126 by it gives magnitude >= 1.
const BIG = 2 ** 126;

/** 1 where x > 0, else 0 (an x smaller than the smallest normal f32 counts as 0). */
export function positiveMask(x: Tensor): Tensor<FloatDType> {
  const scaled = k.affine(x, BIG);
  const mask = k.clamp(scaled, 0, 1);
  scaled.dispose();
  return mask;
}

// ------------------------------------------------------------------ binary

export function add(a: Tensor, b: Tensor): Tensor<FloatDType> {
  return record('add', [a, b], k.add(a, b), ({ needs }) => (dy) => [
    needs[0] ? unbroadcast(dy, a.shape) : null,
    needs[1] ? unbroadcast(dy, b.shape) : null,
  ]);
}

export function sub(a: Tensor, b: Tensor): Tensor<FloatDType> {
  return record('sub', [a, b], k.sub(a, b), ({ needs }) => (dy) => [
    needs[0] ? unbroadcast(dy, a.shape) : null,
    needs[1] ? unbroadcast(k.neg(dy), b.shape) : null,
  ]);
}

export function mul(a: Tensor, b: Tensor): Tensor<FloatDType> {
  return record('mul', [a, b], k.mul(a, b), ({ needs, save }) => {
    const sa = needs[1] ? save(a) : null;
    const sb = needs[0] ? save(b) : null;
    return (dy) => [
      sb ? unbroadcast(k.mul(dy, sb), a.shape) : null,
      sa ? unbroadcast(k.mul(dy, sa), b.shape) : null,
    ];
  });
}

export function div(a: Tensor, b: Tensor): Tensor<FloatDType> {
  const y = k.div(a, b);
  return record('div', [a, b], y, ({ needs, save }) => {
    const sb = save(b);
    const sy = needs[1] ? save(y) : null;
    return (dy) => {
      const da = k.div(dy, sb); // dy / b
      // d(a/b)/db = -a/b^2 = -y/b
      const db = sy ? k.neg(k.mul(da, sy)) : null;
      return [needs[0] ? unbroadcast(da, a.shape) : null, db ? unbroadcast(db, b.shape) : null];
    };
  });
}

/** Elementwise max; on ties each side gets half the gradient. NaN propagates. */
export function maximum(a: Tensor, b: Tensor): Tensor<FloatDType> {
  return record('maximum', [a, b], k.maximum(a, b), (ctx) => minMaxRule(ctx, a, b, true));
}

/** Elementwise min; on ties each side gets half the gradient. NaN propagates. */
export function minimum(a: Tensor, b: Tensor): Tensor<FloatDType> {
  return record('minimum', [a, b], k.minimum(a, b), (ctx) => minMaxRule(ctx, a, b, false));
}

function minMaxRule({ needs, save }: SaveContext, a: Tensor, b: Tensor, isMax: boolean): BackwardRule {
  const sa = save(a);
  const sb = save(b);
  return (dy) => {
    // Share of a: 1 where the op picks a, 0 where it picks b, 1/2 on ties.
    const [winner, loser] = isMax ? [sa, sb] : [sb, sa];
    const sign = k.sub(positiveMask(k.sub(winner, loser)), positiveMask(k.sub(loser, winner)));
    const shareA = k.affine(sign, 0.5, 0.5);
    const ga = k.mul(dy, shareA);
    return [needs[0] ? unbroadcast(ga, a.shape) : null, needs[1] ? unbroadcast(k.sub(dy, ga), b.shape) : null];
  };
}

/** a ** b elementwise (a > 0 where b is not an integer). */
export function pow(a: Tensor, b: Tensor): Tensor<FloatDType> {
  const y = k.pow(a, b);
  return record('pow', [a, b], y, ({ needs, save }) => {
    const sa = save(a);
    const sb = save(b);
    const sy = save(y);
    return (dy) => [
      // b * a^(b-1) = b * y / a
      needs[0] ? unbroadcast(k.mul(dy, k.div(k.mul(sb, sy), sa)), a.shape) : null,
      needs[1] ? unbroadcast(k.mul(dy, k.mul(sy, k.log(sa))), b.shape) : null,
    ];
  });
}

// ------------------------------------------------------------------ unary

export function neg(x: Tensor): Tensor<FloatDType> {
  return record('neg', [x], k.neg(x), () => (dy) => [k.neg(dy)]);
}

/** alpha * x + beta */
export function affine(x: Tensor, alpha: number, beta = 0): Tensor<FloatDType> {
  return record('affine', [x], k.affine(x, alpha, beta), () => (dy) => [k.scale(dy, alpha)]);
}

export function scale(x: Tensor, alpha: number): Tensor<FloatDType> {
  return affine(x, alpha, 0);
}

export function exp(x: Tensor): Tensor<FloatDType> {
  const y = k.exp(x);
  return record('exp', [x], y, ({ save }) => {
    const sy = save(y);
    return (dy) => [k.mul(dy, sy)];
  });
}

export function log(x: Tensor): Tensor<FloatDType> {
  return record('log', [x], k.log(x), ({ save }) => {
    const sx = save(x);
    return (dy) => [k.div(dy, sx)];
  });
}

export function sqrt(x: Tensor): Tensor<FloatDType> {
  const y = k.sqrt(x);
  return record('sqrt', [x], y, ({ save }) => {
    const sy = save(y);
    return (dy) => [k.div(k.scale(dy, 0.5), sy)];
  });
}

export function rsqrt(x: Tensor): Tensor<FloatDType> {
  const y = k.rsqrt(x);
  return record('rsqrt', [x], y, ({ save }) => {
    const sx = save(x);
    const sy = save(y);
    // d(x^-1/2)/dx = -1/2 x^-3/2 = -y / (2x)
    return (dy) => [k.div(k.mul(dy, k.scale(sy, -0.5)), sx)];
  });
}

export function abs(x: Tensor): Tensor<FloatDType> {
  return record('abs', [x], k.abs(x), ({ save }) => {
    const sx = save(x);
    return (dy) => [k.mul(dy, k.sub(positiveMask(sx), positiveMask(k.neg(sx))))];
  });
}

export function tanh(x: Tensor): Tensor<FloatDType> {
  const y = k.tanh(x);
  return record('tanh', [x], y, ({ save }) => {
    const sy = save(y);
    return (dy) => [k.mul(dy, k.affine(k.square(sy), -1, 1))];
  });
}

export function sigmoid(x: Tensor): Tensor<FloatDType> {
  const y = k.sigmoid(x);
  return record('sigmoid', [x], y, ({ save }) => {
    const sy = save(y);
    return (dy) => [k.mul(dy, k.mul(sy, k.affine(sy, -1, 1)))];
  });
}

/** max(x, 0); the gradient at 0 is 0. */
export function relu(x: Tensor): Tensor<FloatDType> {
  const y = k.relu(x);
  return record('relu', [x], y, ({ save }) => {
    const sy = save(y);
    return (dy) => [k.mul(dy, positiveMask(sy))];
  });
}

export function square(x: Tensor): Tensor<FloatDType> {
  return record('square', [x], k.square(x), ({ save }) => {
    const sx = save(x);
    return (dy) => [k.mul(dy, k.scale(sx, 2))];
  });
}

export function reciprocal(x: Tensor): Tensor<FloatDType> {
  const y = k.reciprocal(x);
  return record('reciprocal', [x], y, ({ save }) => {
    const sy = save(y);
    return (dy) => [k.neg(k.mul(dy, k.square(sy)))];
  });
}

/** x ** exponent */
export function powScalar(x: Tensor, exponent: number): Tensor<FloatDType> {
  return record('powScalar', [x], k.powScalar(x, exponent), ({ save }) => {
    const sx = save(x);
    return (dy) => [k.mul(dy, k.scale(k.powScalar(sx, exponent - 1), exponent))];
  });
}

/** clamp(x, lo, hi); the gradient passes only where lo < x < hi. */
export function clamp(x: Tensor, lo: number, hi: number): Tensor<FloatDType> {
  return record('clamp', [x], k.clamp(x, lo, hi), ({ save }) => {
    const sx = save(x);
    return (dy) => [k.mul(dy, k.mul(positiveMask(k.affine(sx, 1, -lo)), positiveMask(k.affine(sx, -1, hi))))];
  });
}
