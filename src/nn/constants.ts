// Small integer tensors a model needs every step (position ids, [CLS] positions), made once per
// shape and kept until the model is disposed, so a training step uploads nothing for them.
import { engine, keep } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';

export class ConstantCache {
  private cache = new Map<string, Tensor<'i32'>>();

  /** An i32 tensor of `shape` whose element i is fill(i), made on first use. */
  get(key: string, shape: number[], fill: (i: number) => number): Tensor<'i32'> {
    const k = `${key}:${shape.join('x')}`;
    let t = this.cache.get(k);
    if (!t) {
      const n = shape.reduce((p, d) => p * d, 1);
      t = keep(engine().tensor(Int32Array.from({ length: n }, (_, i) => fill(i)), shape, 'i32'));
      this.cache.set(k, t);
    }
    return t;
  }

  dispose(): void {
    for (const t of this.cache.values()) t.dispose();
    this.cache.clear();
  }
}
