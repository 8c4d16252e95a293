// bench:train compares whole steps only if its TensorFlow.js BERT (bench/tfjs-bert.ts) computes
// what ours does: same weights, same batch, three AdamW steps with clipping, on tfjs-wasm and
// tfjs-webgpu. Losses agree to 2e-5 relative (f32 rounding in different summation orders over a
// few thousand terms, and Adam's normalised update amplifying it slightly over the steps), and a
// perturbed MLM bias (0 to 0.4 added) makes them disagree (the check can fail).
import { beforeAll, describe, expect, it } from 'vitest';
import { BertForMaskedLM, bertConfig } from '../src/node.ts';
import type { Engine } from '../src/gpu/engine.ts';
import { setupPeers, type Peer } from '../bench/peers.ts';
import { hostParams, oursRunner, tfjsRunner, type Case } from '../bench/train-core.ts';
import type { HostBatch } from '../bench/tfjs-bert.ts';
import { gpu } from './util/gpu.ts';

let e: Engine;
let peers: Peer[] = [];
beforeAll(async () => {
  e = await gpu();
  ({ peers } = await setupPeers());
}, 120_000);

// Awkward sizes: 2 layers, H 24 (3 heads of 8), vocab 61, rows of 13 and 9 real tokens.
const CASE: Case = { name: 'micro', size: 'L-2_H-24_A-3', vocab: 61, batch: 2, seq: 13, kind: 'train', steps: 3 };
function batch(step: number): HostBatch {
  const lens = [13, 9];
  const inputIds = new Int32Array(26);
  const attentionMask = new Int32Array(26);
  lens.forEach((len, r) => { for (let i = 0; i < len; i++) { inputIds[r * 13 + i] = 5 + ((r * 7 + i * 11 + step * 3) % 56); attentionMask[r * 13 + i] = 1; } });
  const maskPositions = Int32Array.from([1, 4, 7, 2, 5, 8]);
  const labels = Int32Array.from(maskPositions, (p, j) => inputIds[Math.floor(j / 3) * 13 + p]);
  maskPositions.forEach((p, j) => { inputIds[Math.floor(j / 3) * 13 + p] = 4; });
  return { batch: 2, seq: 13, inputIds, attentionMask, maskPositions, labels, masksPerRow: 3 };
}

describe('bench/tfjs-bert.ts', () => {
  for (const name of ['wasm', 'webgpu'] as const) {
    it(`trains like ours on tfjs-${name} (3 steps, losses within 2e-5)`, async () => {
      const peer = peers.find((p) => p.name === name);
      expect(peer, `tfjs-${name} is unavailable`).toBeDefined();
      const config = bertConfig(CASE.size, { vocab_size: CASE.vocab, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 });
      const model = new BertForMaskedLM(config, { seed: 11 });
      const params = await hostParams(model);
      await peer!.tf.setBackend(name);
      const theirs = tfjsRunner(peer!, CASE, params);
      const bumped = tfjsRunner(peer!, CASE, params.map((p) => (p.name === 'cls.predictions.bias' ? { ...p, data: p.data.map((x, i) => x + 0.1 * (i % 5)) } : p)));
      const ours = oursRunner(e, CASE, model);
      const got: number[][] = [[], [], []];
      for (let s = 0; s < 3; s++) {
        got[0].push(await ours.step(batch(s)));
        await theirs.enter();
        got[1].push(await theirs.step(batch(s)));
        got[2].push(await bumped.step(batch(s)));
      }
      const rel = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.abs(b[i])));
      expect(got[0][0]).toBeGreaterThan(3.5); // ~ln(61) from a fresh init
      expect(rel(got[1], got[0])).toBeLessThan(2e-5);
      console.log(`tfjs-${name}: rel diff ${rel(got[1], got[0]).toExponential(1)}, perturbed ${rel(got[2], got[0]).toExponential(1)}`);
      expect(rel(got[2], got[0])).toBeGreaterThan(1e-4);
      ours.dispose();
      theirs.dispose();
      bumped.dispose();
      model.dispose();
    }, 120_000);
  }
});
