// Pretrains a small BERT with masked-LM on Moby-Dick, saves it as a Hugging Face checkpoint
// directory (config.json, model.safetensors, vocab.txt), loads it back and fills in a [MASK].
//
//   node --import ./scripts/register-ts.mjs examples/bert-mlm.ts [steps] [out-dir]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdamW, BertForMaskedLM, LinearWarmupDecay, MaskedLMMaskGenerator, MultiSegmentPacker, WordPieceTokenizer,
  backward, bertConfig, bertInputs, init, loadCheckpoint, loadMobyDick, maskedLMInputs, memory, noGrad, saveCheckpoint,
  shutdown, tensor, tidy, trainWordPieceVocab,
} from '../src/node.ts';

const steps = Number(process.argv[2] ?? 300);
const outDir = process.argv[3] ?? mkdtempSync(join(tmpdir(), 'bert-mlm-'));
const [BATCH, SEQ, MASKS] = [16, 64, 10];

const gpu = await init();
console.log(`adapter: ${gpu.adapter}`);

// ---- data: a WordPiece vocabulary learnt from the book, sentences packed as [CLS] text [SEP]
const texts: string[] = [];
for await (const ex of loadMobyDick().examples) texts.push(...ex.text.split(/(?<=[.!?])\s+/).filter((s) => s.length > 20));
const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const tokenizer = WordPieceTokenizer.fromVocab(await trainWordPieceVocab(texts, { vocabSize: 4000, reservedTokens: special }));
const packer = new MultiSegmentPacker({ sequenceLength: SEQ, startValue: tokenizer.clsId, endValue: tokenizer.sepId });
const masker = new MaskedLMMaskGenerator({
  vocabularySize: tokenizer.vocabSize, maskTokenId: tokenizer.maskId, maskSelectionRate: 0.15, maskSelectionLength: MASKS,
  unselectableTokenIds: tokenizer.specialIds, randomTokenRange: [special.length, tokenizer.vocabSize], seed: 1,
});
console.log(`${texts.length} sentences, vocabulary ${tokenizer.vocabSize}`);

// ---- model: BERT-tiny's shape (L-2_H-128_A-2) with this vocabulary
const model = new BertForMaskedLM(bertConfig('bert-tiny', { vocab: tokenizer, max_position_embeddings: SEQ }), { seed: 0 });
const optimizer = new AdamW(model, { lr: new LinearWarmupDecay({ peak: 1e-3, totalSteps: steps }), maxGradNorm: 1 });
console.log(`BertForMaskedLM, ${(model.parameterCount() / 1e6).toFixed(2)}M parameters`);

let t0 = performance.now();
let since = 0;
for (let step = 0; step < steps; step++) {
  const pick = Array.from({ length: BATCH }, (_, i) => texts[(step * BATCH + i) % texts.length]);
  const packed = packer.packBatch(pick.map((t) => [tokenizer.encode(t).ids]));
  const masks = masker.generate(packed.tokenIds, SEQ);
  const loss = tidy(() => {
    const { loss } = model.forward(maskedLMInputs(packed, masks));
    backward(loss!);
    optimizer.step();
    optimizer.zeroGrad();
    return loss!;
  });
  if (step % 25 === 0 || step === steps - 1) {
    const value = (await loss.data())[0]; // waits for every step so far
    const ms = (performance.now() - t0) / (step + 1 - since);
    console.log(`step ${step}: loss ${value.toFixed(3)}, lr ${optimizer.lr.toExponential(2)}, ${ms.toFixed(0)} ms/step since the last line, ${memory().liveTensors} live tensors`);
    [t0, since] = [performance.now(), step + 1];
  }
  loss.dispose();
}

// ---- save as a Hugging Face checkpoint, load it back
await saveCheckpoint(outDir, model, { tokenizer });
const { model: loaded, vocab } = await loadCheckpoint(outDir);
const reloaded = WordPieceTokenizer.fromVocab(vocab!);
console.log(`saved to ${outDir} and loaded back (${loaded.architecture})`);

// ---- fill in a mask
const sentence = 'Call me [MASK].';
const enc = reloaded.encode(sentence);
const packed = packer.pack([enc.ids]);
const at = packed.tokenIds.indexOf(reloaded.maskId);
const logits = noGrad(() => tidy(() => {
  loaded.eval();
  return (loaded as BertForMaskedLM).forward({ ...bertInputs(packed), maskPositions: tensor(Int32Array.of(at), [1, 1], 'i32') }).logits;
}));
const scores = await logits.data();
const top = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]).slice(0, 5);
console.log(`${sentence} -> ${top.map((id) => reloaded.idToToken(id)).join(', ')}`);
logits.dispose();

model.dispose();
loaded.dispose();
optimizer.dispose();
shutdown();
