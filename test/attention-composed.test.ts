// Head dims the fused attention kernels do not take (not a multiple of 4, or above 128: TinyBERT's
// 26, 6, 256) run composed from matmul, softmax and dropout in src/autograd/attention.ts. Checked
// here against the float64 reference (forward and backward, with padding and an all-masked row),
// against central finite differences, and as a whole TinyBERT-shaped BERT (hidden 312, 12 heads).
import { beforeAll, describe, expect, it } from 'vitest';
import { memory, tensor, tidy } from '../src/node.ts';
import { attention } from '../src/autograd/attention.ts';
import { backward, noGrad, requireGrad } from '../src/autograd/tape.ts';
import { BertModel } from '../src/nn/pretrained.ts';
import { BERT_DEFAULTS, type BertConfig } from '../src/nn/config.ts';
import { attentionBackwardRef, attentionRef } from './reference/attention.ts';
import { bertForward } from './reference/bert.ts';
import { randomBatch, toInputs, weightsOf } from './util/bert-fixtures.ts';
import { numericVjp } from './util/gradcheck.ts';
import { gpu } from './util/gpu.ts';
import { uniform } from './util/random.ts';
import { TOL, assertClose } from './util/tolerance.ts';

beforeAll(gpu);

interface Case { B: number; S: number; H: number; D: number; keep?: number[] }

function maskOf(c: Case): Float32Array | undefined {
  if (!c.keep) return undefined;
  const m = new Float32Array(c.B * c.S);
  for (let b = 0; b < c.B; b++) for (let j = 0; j < c.S; j++) m[b * c.S + j] = j < c.keep[b] ? 0 : -Infinity;
  return m;
}

async function run(c: Case, seed: number) {
  const n = c.B * c.S * c.H * c.D;
  const x = { q: uniform(n, seed), k: uniform(n, seed + 1), v: uniform(n, seed + 2), dOut: uniform(n, seed + 3), mask: maskOf(c) };
  const shape = [c.B, c.S, c.H * c.D];
  const [q, k, v] = [x.q, x.k, x.v].map((a) => requireGrad(tensor(a, shape)));
  const out = tidy(() => attention(q, k, v, { heads: c.H, mask: x.mask && tensor(x.mask, [c.B, c.S]) }));
  const dOut = tensor(x.dOut, shape);
  backward(out, { grad: dOut });
  const [o, dq, dk, dv] = (await Promise.all([out, q.grad!, k.grad!, v.grad!].map((t) => t.data()))) as Float32Array[];
  for (const t of [out, dOut, q.grad!, k.grad!, v.grad!, q, k, v]) t.dispose();
  return { x, o, dq, dk, dv };
}

describe('attention at head dims the fused kernels do not take', () => {
  const cases: Case[] = [
    { B: 2, S: 7, H: 12, D: 26 }, // TinyBERT
    { B: 3, S: 9, H: 2, D: 6, keep: [9, 4, 0] }, // padding, and a batch row with every key masked
    { B: 1, S: 5, H: 1, D: 256 },
    { B: 1, S: 129, H: 1, D: 1 },
  ];
  for (const c of cases) {
    it(`forward and backward match float64: B${c.B} S${c.S} H${c.H} D${c.D}${c.keep ? ' masked' : ''}`, async () => {
      const before = memory().liveTensors;
      const r = await run(c, c.S * c.D);
      const ref = { B: c.B, S: c.S, H: c.H, D: c.D, mask: r.x.mask };
      assertClose(r.o, attentionRef(r.x.q, r.x.k, r.x.v, ref).out, TOL.attention, 'out');
      const g = attentionBackwardRef(r.x.q, r.x.k, r.x.v, r.x.dOut, ref);
      assertClose(r.dq, g.dq, TOL.attention, 'dq');
      assertClose(r.dk, g.dk, TOL.attention, 'dk');
      assertClose(r.dv, g.dv, TOL.attention, 'dv');
      if (c.keep?.includes(0)) {
        // As the fused kernels: a row with no key to attend to gives 0 and no gradient.
        const per = c.S * c.H * c.D;
        const b = c.keep.indexOf(0);
        for (const a of [r.o, r.dq, r.dk, r.dv]) expect(Array.from(a.subarray(b * per, (b + 1) * per)).every((v) => v === 0)).toBe(true);
      }
      expect(memory().liveTensors).toBe(before);
    });
  }

  it('its gradients agree with central finite differences of the float64 attention', async () => {
    const c: Case = { B: 1, S: 3, H: 2, D: 3, keep: [2] };
    const r = await run(c, 11);
    const ref = { B: 1, S: 3, H: 2, D: 3, mask: r.x.mask };
    const [dq, dk, dv] = numericVjp(([q, k, v]) => attentionRef(q, k, v, ref).out, [r.x.q, r.x.k, r.x.v], r.x.dOut);
    const tol = { atol: 1e-4, rtol: 1e-3 }; // f32 GPU gradients against float64 differences (step 1e-6)
    assertClose(r.dq, dq, tol, 'dq');
    assertClose(r.dk, dk, tol, 'dk');
    assertClose(r.dv, dv, tol, 'dv');
  });
});

describe('a TinyBERT-shaped BERT (hidden 312, 12 heads of 26) matches the float64 reference', () => {
  const TINYBERT: BertConfig = {
    ...BERT_DEFAULTS, vocab_size: 97, hidden_size: 312, num_hidden_layers: 2, num_attention_heads: 12,
    intermediate_size: 1200, max_position_embeddings: 32,
  };
  it('sequence and pooled outputs, with padding in the batch', async () => {
    const model = new BertModel(TINYBERT, { seed: 4 }).eval();
    const w = await weightsOf(model);
    const batch = randomBatch(3, [11, 6], 11, TINYBERT.vocab_size);
    const ref = bertForward(TINYBERT, w, batch, '');
    const inputs = toInputs(batch);
    const out = noGrad(() => model.forward(inputs));
    const tol = { atol: 1e-5, rtol: 1e-4 }; // test/bert.test.ts's bound for f32 through two layers
    assertClose(await out.sequenceOutput.data(), ref.sequence, tol, 'sequence output');
    assertClose(await out.pooledOutput!.data(), ref.pooled!, tol, 'pooled output');
    for (const t of [out.sequenceOutput, out.pooledOutput!, ...Object.values(inputs)]) t.dispose();
    model.dispose();
  });
});
