// Gradients by central finite differences in float64, independent of any backward rule or
// autograd: the yardstick every backward kernel and the tape are checked against.

/** d(sum(dy * f(inputs)))/d(inputs[k]) for every input, by central differences with step h. */
export function numericVjp(
  f: (inputs: Float64Array[]) => ArrayLike<number>,
  inputs: ArrayLike<number>[],
  dy: ArrayLike<number>,
  h = 1e-6,
): Float64Array[] {
  const xs = inputs.map((x) => Float64Array.from(x));
  const objective = () => {
    const y = f(xs);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += dy[i] * y[i];
    return s;
  };
  return xs.map((x) => {
    const g = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const keep = x[i];
      x[i] = keep + h;
      const up = objective();
      x[i] = keep - h;
      const down = objective();
      x[i] = keep;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  });
}

/** d(f(x))/dx for a scalar function, by central differences. */
export function numericGrad(f: (x: Float64Array) => number, x: ArrayLike<number>, h = 1e-6): Float64Array {
  return numericVjp((xs) => [f(xs[0])], [x], [1], h)[0];
}
