// The f16 variants (issue 11) of the memory-bound kernels and of attention, at the shapes of
// their f32 rows in gelu.ts, layernorm.ts and attention.ts: the same work in half the bytes, so
// GB/s here counts the bytes actually moved (2 per element). Read beside the f32 rows (the ratio
// is the time of the f32 row over this one). Checked against float64 on the halves they read,
// within one f16 rounding of each output (f16Stored). tfjs has no f16 kernels to compare.
import { engine, tensor, type Tensor } from '../../src/node.ts';
import { attention, attentionBackward } from '../../src/kernels/attention.ts';
import { gelu } from '../../src/kernels/gelu.ts';
import { layerNorm } from '../../src/kernels/layernorm.ts';
import { attentionRef } from '../../test/reference/attention.ts';
import { geluRef } from '../../test/reference/gelu.ts';
import { layerNormRef } from '../../test/reference/layernorm.ts';
import { TOL, f16Stored } from '../../test/util/tolerance.ts';
import type { BenchCase } from '../harness.ts';
import { edgeRows, expectClose, launches, uniform } from '../util.ts';
import { uniformHalves } from '../../test/util/random.ts';

const halves = uniformHalves;

const skipWithoutF16 = () => {
  if (!engine().hasF16) throw new Error('the adapter has no shader-f16');
};

const geluCase = (label: string, rows: number, C: number): BenchCase => ({
  kernel: 'gelu f16',
  shape: label,
  work: { bytes: 2 * rows * C * 2 },
  async ours() {
    skipWithoutF16();
    const x = halves(rows * C, 1, -6, 6);
    const t = tensor(x.bits, [rows, C], 'f16');
    return launches([t], () => gelu(t), async (y) => {
      expectClose('gelu f16', edgeRows(await y.data(), rows, C), geluRef(edgeRows(x.v, rows, C)), f16Stored(TOL.transcendental));
    });
  },
});

const layerNormCase = (label: string, rows: number, C: number): BenchCase => ({
  kernel: 'layernorm f16',
  shape: label,
  work: { bytes: 2 * rows * C * 2 },
  async ours() {
    skipWithoutF16();
    const x = halves(rows * C, 1, -2, 2);
    const [gamma, beta] = [uniform(C, 2, 0.5, 1.5), uniform(C, 3)];
    const [t, g, b] = [tensor(x.bits, [rows, C], 'f16'), tensor(gamma), tensor(beta)];
    return launches([t, g, b], () => layerNorm(t, g, b, 1e-12), async (out) => {
      const want = layerNormRef(edgeRows(x.v, rows, C), gamma, beta, C, 1e-12).y;
      expectClose('layernorm f16', edgeRows(await out.y.data(), rows, C), want, f16Stored(TOL.reduction));
    });
  },
});

const attentionCase = (label: string, B: number, S: number, H: number, D: number): BenchCase => ({
  kernel: 'attention forward+backward f16',
  shape: label,
  work: { flops: 3 * 4 * B * H * S * S * D },
  async ours() {
    skipWithoutF16();
    const n = B * S * H * D;
    const shape = [B, S, H * D];
    const [q, k, v, dOut] = [1, 2, 3, 4].map((s) => halves(n, s));
    const ts = [q, k, v, dOut].map((h) => tensor(h.bits, shape, 'f16'));
    const launch = (): Record<string, Tensor> => {
      const { out, lse } = attention(ts[0], ts[1], ts[2], { heads: H });
      return { out, lse, ...attentionBackward(ts[0], ts[1], ts[2], out, ts[3], lse, { heads: H }) };
    };
    return launches(ts, launch, async (outs) => {
      // The first head of the first batch row against float64 (the full check is test/f16.test.ts).
      const got = (await outs.out.data()) as Float32Array;
      const head = (x: Float32Array) => Float32Array.from({ length: S * D }, (_, i) => x[Math.floor(i / D) * H * D + (i % D)]);
      const ref = attentionRef(head(q.v), head(k.v), head(v.v), { B: 1, S, H: 1, D });
      expectClose('attention f16 out', head(got), ref.out, f16Stored(TOL.attention));
    });
  },
});

export const cases: BenchCase[] = [
  geluCase('BERT-tiny 2048x512', 2048, 512),
  geluCase('BERT-base 2048x3072', 2048, 3072),
  layerNormCase('BERT-tiny 2048x128', 2048, 128),
  layerNormCase('BERT-base 2048x768', 2048, 768),
  attentionCase('BERT-tiny B16 S128 H2 D64', 16, 128, 2, 64),
  attentionCase('BERT-base B4 S128 H12 D64', 4, 128, 12, 64),
];
