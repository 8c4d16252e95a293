import { beforeAll, describe, expect, it } from 'vitest';
import { tensor, tidy, engine } from '../src/node.ts';
import { Kernel } from '../src/gpu/kernel.ts';
import { setShaderLoader } from '../src/gpu/shaders.ts';
import { diskShaderLoader } from '../src/gpu/dawn.node.ts';
import { gelu, geluBackward, type GeluApproximation } from '../src/kernels/gelu.ts';
import { erf64, erfc64, geluBackwardRef, geluRef, normalCdf64 } from './reference/gelu.ts';
import { numericVjp } from './util/gradcheck.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

const SIZES = [1, 7, 127, 129, 513, 70_001];
const MODES: GeluApproximation[] = ['none', 'tanh'];

// A probe kernel that evaluates shaders/erf.wgsl's functions directly.
const PROBE = `//!include erf.wgsl
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;   // (3, n): erf, erfc, normal_cdf
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.n) { return; }
  out[i] = erf(z[i]);
  out[p.n + i] = erfc(z[i]);
  out[2u * p.n + i] = normal_cdf(z[i]);
}`;

describe('erf.wgsl', () => {
  it('erf, erfc and Phi are within 1 ulp of 1.0 (NaN in, NaN out; limits at +-inf) of float64 on a dense grid, erfc relative-accurate in its tail', async () => {
    const disk = diskShaderLoader();
    setShaderLoader((f) => (f === 'erf_probe.wgsl' ? PROBE : disk(f)));
    const grid = 16_001;
    const specials = [NaN, Infinity, -Infinity];
    const n = grid + specials.length;
    const z = new Float32Array(n);
    for (let i = 0; i < grid; i++) z[i] = -8 + (16 * i) / (grid - 1);
    z.set(specials, grid);
    const out = engine().empty([3 * n], 'f32');
    engine().run(new Kernel({ shader: 'erf_probe' }), { bindings: { z: tensor(z), out }, uniforms: { n }, workgroups: [Math.ceil(n / 64)] });
    const got = await out.data();
    let worstErf = 0;
    let worstErfc = 0;
    let worstCdf = 0;
    let worstTail = 0;
    const at = (k: number) => [got[grid + k], got[n + grid + k], got[2 * n + grid + k]];
    expect(at(0).every(Number.isNaN)).toBe(true);
    expect(at(1)).toEqual([1, 0, 1]);
    expect(at(2)).toEqual([-1, 2, 0]);
    for (let i = 0; i < grid; i++) {
      worstErf = Math.max(worstErf, Math.abs(got[i] - erf64(z[i])));
      worstErfc = Math.max(worstErfc, Math.abs(got[n + i] - erfc64(z[i])));
      worstCdf = Math.max(worstCdf, Math.abs(got[2 * n + i] - normalCdf64(z[i])));
      if (z[i] >= 0 && z[i] <= 4) worstTail = Math.max(worstTail, Math.abs(got[n + i] / erfc64(z[i]) - 1));
    }
    // 1.0's ulp is 1.19e-7 (erfc's values reach 2, where it is 2.4e-7); Abramowitz-Stegun 7.1.26
    // alone is 1.5e-7 off before any f32 rounding.
    expect(worstErf).toBeLessThan(1e-7);
    expect(worstErfc).toBeLessThan(1.5e-7);
    expect(worstCdf).toBeLessThan(1e-7);
    expect(worstTail).toBeLessThan(2e-6);
    setShaderLoader(disk);
  });
});

describe('gelu matches float64', () => {
  for (const mode of MODES) {
    it(`forward, approximate=${mode}`, async () => {
      for (const n of SIZES) {
        const x = uniform(n, n + 1, -8, 8);
        const got = await tidy(() => gelu(tensor(x), mode)).data();
        assertClose(got, geluRef(x, mode), TOL.transcendental, `gelu ${mode} n=${n}`);
      }
    });

    it(`backward, approximate=${mode}`, async () => {
      for (const n of SIZES) {
        const x = uniform(n, n + 2, -8, 8);
        const dy = uniform(n, n + 3, -1, 1);
        const got = await tidy(() => geluBackward(tensor(dy), tensor(x), mode)).data();
        assertClose(got, geluBackwardRef(dy, x, mode), TOL.transcendental, `geluBackward ${mode} n=${n}`);
      }
    });

    it(`backward agrees with central finite differences of the float64 forward, approximate=${mode}`, async () => {
      const x = uniform(67, 11, -5, 5);
      const dy = uniform(67, 12, -1, 1);
      const [numeric] = numericVjp(([v]) => geluRef(v, mode), [x], dy);
      const got = await tidy(() => geluBackward(tensor(dy), tensor(x), mode)).data();
      assertClose(got, numeric, TOL.transcendental, `gelu ${mode} vs finite differences`);
    });

    it(`keeps shape, handles +-1000, tiny values, infinities and NaN, approximate=${mode}`, async () => {
      const x = new Float32Array([NaN, 1000, -1000, 0, -0, 1e-20, -1e-20, 30, -30, Infinity, 3, -3]);
      const y = gelu(tensor(x, [3, 4]), mode);
      expect(y.shape).toEqual([3, 4]);
      assertClose(await y.data(), geluRef(x, mode), TOL.transcendental, `gelu ${mode} specials`);
      const xs = x.slice(0, 9); // the derivative at infinity is 0 * inf in both formulas
      const dy = new Float32Array(xs.length).fill(1);
      const dx = await geluBackward(tensor(dy), tensor(xs), mode).data();
      assertClose(dx, geluBackwardRef(dy, xs, mode), TOL.transcendental, `geluBackward ${mode} specials`);
    });
  }

  it('is deterministic: two runs of the backward give identical bits', async () => {
    const x = uniform(1031, 5, -6, 6);
    const dy = uniform(1031, 6);
    const a = await geluBackward(tensor(dy), tensor(x)).data();
    const b = await geluBackward(tensor(dy), tensor(x)).data();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it('rejects bad arguments with the op name', () => {
    expect(() => gelu(tensor(new Int32Array([1]))))
      .toThrow('gelu: expected f32 or f16 input, got i32 [1]');
    expect(() => geluBackward(tensor(new Float32Array(6), [2, 3]), tensor(new Float32Array(6), [3, 2])))
      .toThrow('geluBackward: dy [2, 3] and x [3, 2] must have the same shape');
    expect(() => gelu(tensor([1]), 'fast' as GeluApproximation)).toThrow("gelu: approximate must be 'none' or 'tanh'");
  });
});
