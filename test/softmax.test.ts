import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidy } from '../src/node.ts';
import { softmax, softmaxBackward, type SoftmaxLayout } from '../src/kernels/softmax.ts';
import { softmaxBackwardRef, softmaxRef } from './reference/softmax.ts';
import { numericVjp } from './util/gradcheck.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

// The launcher's default on this adapter, plus the workgroup-reduced layouts a GPU gets.
const LAYOUTS: (SoftmaxLayout | undefined)[] = [undefined, { wg: 64, tpr: 64 }, { wg: 256, tpr: 32 }, { scalar: true }];

describe('softmax', () => {
  for (const C of [1, 7, 128, 129, 512, 513, 30522]) {
    it(`forward and backward match float64, C = ${C}`, async () => {
      for (const rows of C > 1000 ? [2] : [1, 3]) {
        for (const layout of LAYOUTS) {
          const x = uniform(rows * C, C + rows, -8, 8);
          const dy = uniform(rows * C, C + rows + 1);
          const y = await tidy(() => softmax(tensor(x, [rows, C]), layout)).data();
          const ref = softmaxRef(x, C);
          const label = `rows=${rows} C=${C} ${JSON.stringify(layout)}`;
          assertClose(y, ref, TOL.transcendental, `y ${label}`);
          const dx = await tidy(() => softmaxBackward(tensor(dy, [rows, C]), tensor(y, [rows, C]), layout)).data();
          assertClose(dx, softmaxBackwardRef(dy, y, C), TOL.reduction, `dx ${label}`);
        }
      }
    });
  }

  it('backward agrees with central finite differences of the float64 forward', async () => {
    const C = 9;
    const x = uniform(2 * C, 31, -3, 3);
    const dy = uniform(2 * C, 32);
    const [numeric] = numericVjp(([v]) => softmaxRef(v, C), [x], dy);
    const dx = await tidy(() => {
      const y = softmax(tensor(x, [2, C]));
      return softmaxBackward(tensor(dy, [2, C]), y);
    }).data();
    assertClose(dx, numeric, { atol: 1e-6, rtol: 1e-4 }, 'softmax dx vs finite differences');
  });

  it('handles +-1000, all -inf rows (zeros) and NaN (the row only)', async () => {
    const rows = [
      [1000, -1000, 999, 0, 1000, 3, 2, 1],
      [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
      [1, NaN, 2, 3, 4, 5, 6, 7],
      [-Infinity, 0, -Infinity, 1, -Infinity, -Infinity, -Infinity, 2],
    ];
    for (const C of [5, 8]) {   // scalar rows and vec4 rows
      const x = Float32Array.from(rows.flatMap((r) => r.slice(0, C)));
      for (const layout of LAYOUTS) {
        const y = await softmax(tensor(x, [4, C]), layout).data();
        assertClose(y, softmaxRef(x, C), TOL.transcendental, `specials C=${C} ${JSON.stringify(layout)}`);
      }
    }
  });

  it('keeps the shape, is deterministic and names the op on bad arguments', async () => {
    const x = uniform(2 * 3 * 40, 7);
    const dy = uniform(2 * 3 * 40, 8);
    const y = softmax(tensor(x, [2, 3, 40]));
    expect(y.shape).toEqual([2, 3, 40]);
    const a = await softmaxBackward(tensor(dy, [2, 3, 40]), y).data();
    const b = await softmaxBackward(tensor(dy, [2, 3, 40]), y).data();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(() => softmaxBackward(tensor(dy, [6, 40]), y)).toThrow('softmaxBackward: dy [6, 40] and y [2, 3, 40] must have the same shape');
  });
});
