// Training that continues in PyTorch, and comes back: `npm run interop:torch` (not part of npm test).
//  1. trains a BERT-tiny-shaped masked LM here for 50 steps (AdamW, clipping, Moby-Dick batches),
//     saves it in transformers' layout with AdamW's moments (optimizer.safetensors);
//  2. scripts/interop_torch.py loads it into a plain PyTorch BERT (modeling_bert semantics, its own
//     safetensors reader), checks the logits against ours, trains 50 more steps on the next batches
//     with torch.optim.AdamW (from the handed-over moments), saves; the same 50 steps run here too,
//     and the two loss curves are compared;
//  3. loads that checkpoint back here and checks the logits against torch's.
// Debian's python3-torch is installed when missing (apt, as root). Writes out/interop-torch/: the
// checkpoints, result.json and loss.svg (the curve across the hand-over).
//   node --import ./scripts/register-ts.mjs scripts/interop-torch.ts [out-dir]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdamW, BertForMaskedLM, MaskedLMMaskGenerator, MultiSegmentPacker, WordPieceTokenizer, backward, bertConfig, init, lineChart,
  loadMobyDick, maskedLMInputs, noGrad, readSafetensors, saveTrainingState, shutdown, tidy, toFloat32, trainWordPieceVocab, writeSafetensors,
  type MaskedLMBatch, type PackedSegments,
} from '../src/node.ts';

const OUT = process.argv[2] ?? 'out/interop-torch';
const [BATCH, SEQ, MASKS, STEPS] = [8, 64, 10, 50];
const TRAIN = { lr: 1e-3, eps: 1e-6, weightDecay: 0.01, maxGradNorm: 1 };
const TOLERANCE = 1e-5; // max |logit difference|, f32 on both sides
const PY = '/usr/bin/python3';

function ensureTorch(): string {
  const has = () => spawnSync(PY, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
  let r = has();
  if (r.status !== 0) {
    if (process.getuid?.() !== 0) throw new Error(`${PY} has no torch: install Debian's python3-torch (apt-get install python3-torch python3-numpy) or run this as root`);
    console.log('installing python3-torch from Debian (apt-get)...');
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'python3-torch', 'python3-numpy'], { stdio: 'inherit' });
    r = has();
    if (r.status !== 0) throw new Error(`python3-torch installed but ${PY} cannot import it:\n${r.stderr}`);
  }
  return r.stdout.trim();
}

const torchVersion = ensureTorch();
const gpu = await init();
console.log(`adapter: ${gpu.adapter}; torch ${torchVersion}`);
mkdirSync(OUT, { recursive: true });

// ---- data: 2 x STEPS batches of Moby-Dick sentences, masked once, shared by both sides
const texts: string[] = [];
for await (const ex of loadMobyDick().examples) texts.push(...ex.text.split(/(?<=[.!?])\s+/).filter((s) => s.length > 20));
const tokenizer = WordPieceTokenizer.fromVocab(await trainWordPieceVocab(texts, { vocabSize: 2000 }));
const packer = new MultiSegmentPacker({ sequenceLength: SEQ, startValue: tokenizer.clsId, endValue: tokenizer.sepId });
const masker = new MaskedLMMaskGenerator({
  vocabularySize: tokenizer.vocabSize, maskTokenId: tokenizer.maskId, maskSelectionRate: 0.15, maskSelectionLength: MASKS,
  unselectableTokenIds: tokenizer.specialIds, randomTokenRange: [5, tokenizer.vocabSize], seed: 1,
});
const batches: { packed: PackedSegments; masks: MaskedLMBatch }[] = [];
for (let s = 0; s < 2 * STEPS; s++) {
  const packed = packer.packBatch(Array.from({ length: BATCH }, (_, i) => [tokenizer.encode(texts[(s * BATCH + i) % texts.length]).ids]));
  batches.push({ packed, masks: masker.generate(packed.tokenIds, SEQ) });
}
const stack = <T extends Int32Array | Float32Array>(pick: (b: (typeof batches)[0]) => T, shape: number[]) => {
  const parts = batches.map(pick);
  const out = new (parts[0].constructor as new (n: number) => T)(parts.length * parts[0].length);
  parts.forEach((p, i) => out.set(p, i * p.length));
  return { dtype: out instanceof Float32Array ? ('F32' as const) : ('I32' as const), shape: [batches.length, ...shape], data: out };
};
const batchFile = join(OUT, 'batches.safetensors');
writeFileSync(batchFile, writeSafetensors([
  { name: 'input_ids', ...stack((b) => b.masks.tokenIds, [BATCH, SEQ]) },
  { name: 'attention_mask', ...stack((b) => b.packed.paddingMask, [BATCH, SEQ]) },
  { name: 'token_type_ids', ...stack((b) => b.packed.segmentIds, [BATCH, SEQ]) },
  { name: 'mask_positions', ...stack((b) => b.masks.maskPositions, [BATCH, MASKS]) },
  { name: 'labels', ...stack((b) => b.masks.maskIds, [BATCH, MASKS]) },
  { name: 'label_weights', ...stack((b) => b.masks.maskWeights, [BATCH, MASKS]) },
]));
writeFileSync(join(OUT, 'train.json'), JSON.stringify(TRAIN));

// ---- 1. train here
const config = bertConfig('bert-tiny', { vocab: tokenizer, max_position_embeddings: SEQ, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 });
const model = new BertForMaskedLM(config, { seed: 0 });
const opt = new AdamW(model, TRAIN);
async function step(s: number): Promise<number> {
  const loss = tidy(() => {
    const { loss } = model.forward(maskedLMInputs(batches[s].packed, batches[s].masks));
    backward(loss!);
    opt.step();
    opt.zeroGrad();
    return loss!;
  });
  const value = (await loss.data())[0];
  loss.dispose();
  return value;
}
const ours: number[] = [];
const t0 = performance.now();
for (let s = 0; s < STEPS; s++) ours.push(await step(s));
console.log(`webgpu-bert: ${STEPS} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s, loss ${ours[0].toFixed(4)} -> ${ours.at(-1)!.toFixed(4)}`);
const ourDir = join(OUT, `webgpu-bert-step${STEPS}`);
await saveTrainingState(ourDir, { model, optimizer: opt }, { tokenizer }); // the checkpoint + AdamW's moments

async function probe(m: BertForMaskedLM): Promise<Float32Array> {
  m.eval();
  const t = noGrad(() => tidy(() => m.forward(maskedLMInputs(batches[0].packed, batches[0].masks)).logits));
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}
const ourProbe = await probe(model);
model.train();

// The same 50 steps here too, as the reference the PyTorch continuation should follow.
const oursOn: number[] = [];
for (let s = STEPS; s < 2 * STEPS; s++) oursOn.push(await step(s));
model.dispose();

// ---- 2. continue in PyTorch
const torchDir = join(OUT, `torch-step${2 * STEPS}`);
const resultFile = join(OUT, 'torch.json');
const py = spawnSync(PY, [join(import.meta.dirname, 'interop_torch.py'), ourDir, batchFile, String(STEPS), String(STEPS), torchDir, resultFile], { stdio: 'inherit' });
if (py.status !== 0) throw new Error(`interop_torch.py failed (exit ${py.status})`);
const torchLosses = (JSON.parse(readFileSync(resultFile, 'utf8')) as { losses: number[] }).losses;
const probes = readSafetensors(new Uint8Array(readFileSync(join(torchDir, 'probe.safetensors'))));
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const handOver = maxDiff(ourProbe, toFloat32(probes, 'before'));

// ---- 3. back here
const back = await BertForMaskedLM.fromPretrained(torchDir, { quiet: true });
const backProbe = await probe(back);
back.dispose();
const roundTrip = maxDiff(backProbe, toFloat32(probes, 'after'));
const curveDiff = torchLosses.reduce((m, v, i) => Math.max(m, Math.abs(v - oursOn[i])), 0);

const result = {
  date: new Date().toISOString(), adapter: gpu.adapter, torch: torchVersion, config: { layers: 2, hidden: 128, heads: 2, vocab: tokenizer.vocabSize, batch: BATCH, seq: SEQ, masks: MASKS }, train: TRAIN,
  losses: { webgpuBert: ours, torch: torchLosses, webgpuBertContinued: oursOn, maxDiffTorchVsContinued: curveDiff },
  logits: { tolerance: TOLERANCE, maxAbsLogit: maxAbs(ourProbe), webgpuToTorch: handOver, torchToWebgpu: roundTrip },
};
writeFileSync(join(OUT, 'result.json'), JSON.stringify(result, null, 2));
writeFileSync(join(OUT, 'loss.svg'), lineChart([
  { name: 'webgpu-bert', values: ours },
  { name: 'PyTorch', values: torchLosses, x: torchLosses.map((_, i) => STEPS + i + 1) },
  { name: 'webgpu-bert (same steps)', values: oursOn, x: oursOn.map((_, i) => STEPS + i + 1), dashed: true },
], { title: `BERT-tiny MLM: ${STEPS} steps here, ${STEPS} in PyTorch ${torchVersion}`, xLabel: 'step', yLabel: 'loss' }));
console.log(`logits at the hand-over (webgpu-bert step ${STEPS} vs PyTorch, ${ourProbe.length} values, max |logit| ${maxAbs(ourProbe).toFixed(2)}): max diff ${handOver.toExponential(2)}`);
console.log(`logits after PyTorch's ${STEPS} steps, loaded back here: max diff ${roundTrip.toExponential(2)}`);
console.log(`loss: ${ours[0].toFixed(4)} (step 1) -> ${ours.at(-1)!.toFixed(4)} (step ${STEPS}, here) -> ${torchLosses[0].toFixed(4)} (step ${STEPS + 1}, torch) -> ${torchLosses.at(-1)!.toFixed(4)} (step ${2 * STEPS})`);
console.log(`PyTorch's steps ${STEPS + 1}-${2 * STEPS} vs the same steps here (AdamW moments handed over): max loss difference ${curveDiff.toExponential(2)}`);
console.log(`wrote ${OUT}/result.json and ${OUT}/loss.svg`);
shutdown();
if (!(handOver <= TOLERANCE && roundTrip <= TOLERANCE)) {
  console.error(`FAIL: logits differ by more than ${TOLERANCE}`);
  process.exit(1);
}
