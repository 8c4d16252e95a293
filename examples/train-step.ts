// The README's training snippet: one masked-LM training step of BERT-tiny, then a checkpoint
// directory that Hugging Face transformers' from_pretrained reads.
//
//   node --import ./scripts/register-ts.mjs examples/train-step.ts
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdamW, BertForMaskedLM, backward, bertConfig, init, loadCheckpoint, memory, saveCheckpoint, shutdown, tensor, tidy } from '../src/node.ts';

await init();
const model = new BertForMaskedLM(bertConfig('bert-tiny', { vocab_size: 30522 }), { seed: 0 });
const opt = new AdamW(model, { lr: 1e-3, maxGradNorm: 1 }); // or lr: new LinearWarmupDecay({ peak, totalSteps })
const ids = (rows: number[][]) => tensor(Int32Array.from(rows.flat()), [rows.length, rows[0].length], 'i32');

for (let step = 0; step < 3; step++) {
  const loss = tidy(() => {
    const { loss } = model.forward({
      inputIds: ids([[101, 1045, 2031, 103, 102, 0], [101, 2023, 103, 2001, 2307, 102]]), // (batch, seq)
      attentionMask: ids([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]]), // 0 = padding
      maskPositions: ids([[3], [2]]), // logits only at the masked tokens
      labels: ids([[3185], [3185]]), // -100 would mark an unused slot
    });
    backward(loss!); // gradients into every trainable parameter's .grad
    opt.step(); // AdamW with clipping on the GPU: nothing waits
    opt.zeroGrad();
    return loss!; // everything else returns to the pool
  });
  console.log(`step ${step}: loss ${(await loss.data())[0].toFixed(4)}, live tensors ${memory().liveTensors}`);
  loss.dispose();
}

const dir = mkdtempSync(join(tmpdir(), 'bert-tiny-'));
await saveCheckpoint(dir, model); // config.json + model.safetensors in transformers' layout
console.log(readdirSync(dir).join(', '));
const { model: again, report } = await loadCheckpoint(dir, { architecture: 'BertForSequenceClassification', numLabels: 2 });
console.log(`${again.architecture}: ${report.loaded.length} tensors loaded, new: ${report.missing.join(', ')}`);
shutdown();
