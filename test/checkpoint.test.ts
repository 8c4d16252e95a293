// Hugging Face checkpoint directories: the exact tensor layout transformers uses, round trips
// that reproduce outputs bit for bit, checkpoints with extra or missing heads, and corrupt files
// that fail cleanly without touching (or leaking) a model.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WordPieceTokenizer, memory, tensor, tidy } from '../src/node.ts';
import { noGrad } from '../src/autograd/tape.ts';
import { CheckpointError, loadWeights } from '../src/io/checkpoint.ts';
import { loadCheckpoint, saveCheckpoint, writeFileAtomic } from '../src/io/checkpoint.node.ts';
import { readSafetensors, writeSafetensors, type TensorToWrite } from '../src/io/safetensors.ts';
import { BertForMaskedLM } from '../src/nn/masked_lm.ts';
import { BertClassifier } from '../src/nn/classifier.ts';
import { BertForQuestionAnswering } from '../src/nn/question_answering.ts';
import { BertModel, type BertPretrained } from '../src/nn/pretrained.ts';
import type { BertConfig } from '../src/nn/config.ts';
import { f16BitsToF32, f32ToF16Bits } from '../src/gpu/dtype.ts';
import { MICRO, randomBatch, toInputs, weightsOf } from './util/bert-fixtures.ts';
import { gpu } from './util/gpu.ts';

beforeAll(gpu);

const root = mkdtempSync(join(tmpdir(), 'wgb-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `c${n++}`);

const C: BertConfig = { ...MICRO, num_hidden_layers: 2 };
const batch = randomBatch(5, [6, 3], 6, C.vocab_size);

/** HF transformers' state-dict entries for BERT, written out from modeling_bert.py's module tree. */
function hfTensors(c: BertConfig, head: 'mlm' | 'cls' | 'qa', numLabels = 2): Record<string, number[]> {
  const [H, I, V] = [c.hidden_size, c.intermediate_size, c.vocab_size];
  const t: Record<string, number[]> = {
    'bert.embeddings.word_embeddings.weight': [V, H],
    'bert.embeddings.position_embeddings.weight': [c.max_position_embeddings, H],
    'bert.embeddings.token_type_embeddings.weight': [c.type_vocab_size, H],
    'bert.embeddings.LayerNorm.weight': [H],
    'bert.embeddings.LayerNorm.bias': [H],
  };
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `bert.encoder.layer.${l}.`;
    for (const m of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      t[`${p}${m}.weight`] = [H, H];
      t[`${p}${m}.bias`] = [H];
    }
    Object.assign(t, {
      [`${p}attention.output.LayerNorm.weight`]: [H], [`${p}attention.output.LayerNorm.bias`]: [H],
      [`${p}intermediate.dense.weight`]: [I, H], [`${p}intermediate.dense.bias`]: [I],
      [`${p}output.dense.weight`]: [H, I], [`${p}output.dense.bias`]: [H],
      [`${p}output.LayerNorm.weight`]: [H], [`${p}output.LayerNorm.bias`]: [H],
    });
  }
  if (head === 'mlm') {
    // BertForMaskedLM has no pooler; its decoder is tied to the word embeddings and saved once.
    Object.assign(t, {
      'cls.predictions.bias': [V],
      'cls.predictions.transform.dense.weight': [H, H], 'cls.predictions.transform.dense.bias': [H],
      'cls.predictions.transform.LayerNorm.weight': [H], 'cls.predictions.transform.LayerNorm.bias': [H],
    });
  } else if (head === 'cls') {
    Object.assign(t, { 'bert.pooler.dense.weight': [H, H], 'bert.pooler.dense.bias': [H], 'classifier.weight': [numLabels, H], 'classifier.bias': [numLabels] });
  } else {
    Object.assign(t, { 'qa_outputs.weight': [2, H], 'qa_outputs.bias': [2] });
  }
  return t;
}

function mlmLogits(model: BertForMaskedLM): Promise<Float32Array> {
  const logits = tidy(() => noGrad(() => model.forward({ ...toInputs(batch), maskPositions: tensor(Int32Array.from([1, 4, 0, 2]), [2, 2], 'i32') }).logits));
  return logits.data().finally(() => logits.dispose()) as Promise<Float32Array>;
}

async function bitsOf(model: BertPretrained): Promise<Record<string, number[]>> {
  const w = await weightsOf(model);
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length))]));
}

describe('saving', () => {
  it('writes config.json, model.safetensors in HF layout and vocab.txt, atomically', async () => {
    const dir = newDir();
    const model = new BertForMaskedLM(C, { seed: 1 });
    const tokenizer = WordPieceTokenizer.fromVocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', '##s']);
    await saveCheckpoint(dir, model, { tokenizer });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'vocab.txt']); // no temp files left
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      architectures: ['BertForMaskedLM'], model_type: 'bert', hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2,
      intermediate_size: 32, vocab_size: 50, hidden_act: 'gelu', layer_norm_eps: 1e-12, max_position_embeddings: 16,
      type_vocab_size: 2, position_embedding_type: 'absolute', pad_token_id: 0, torch_dtype: 'float32',
    });
    const st = readSafetensors(readFileSync(join(dir, 'model.safetensors')));
    expect(st.metadata.format).toBe('pt'); // transformers rejects files without it
    const want = hfTensors(C, 'mlm');
    expect([...st.tensors.keys()].sort()).toEqual(Object.keys(want).sort());
    for (const [name, shape] of Object.entries(want)) expect(st.tensors.get(name), name).toMatchObject({ dtype: 'F32', shape });
    expect(readFileSync(join(dir, 'vocab.txt'), 'utf8')).toBe(tokenizer.toVocabText());
    model.dispose();
  });

  it('names classifier and QA heads as BertForSequenceClassification and BertForQuestionAnswering do', async () => {
    const cases: [BertPretrained, 'cls' | 'qa'][] = [[new BertClassifier(C, { numLabels: 3 }), 'cls'], [new BertForQuestionAnswering(C), 'qa']];
    for (const [model, head] of cases) {
      const dir = newDir();
      await saveCheckpoint(dir, model);
      const st = readSafetensors(readFileSync(join(dir, 'model.safetensors')));
      const want = hfTensors(C, head, 3);
      expect([...st.tensors.keys()].sort()).toEqual(Object.keys(want).sort());
      for (const [name, shape] of Object.entries(want)) expect(st.tensors.get(name)!.shape, name).toEqual(shape);
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      expect(config.architectures).toEqual([model.architecture]);
      if (head === 'cls') expect(config.id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
      model.dispose();
    }
  });

  it('leaves the old file in place when a write fails midway', async () => {
    const path = join(newDir(), 'file.bin');
    await writeFileAtomic(path, 'old contents');
    async function* failing() {
      yield new Uint8Array([1, 2, 3]);
      throw new Error('disk full');
    }
    await expect(writeFileAtomic(path, failing())).rejects.toThrow('disk full');
    expect(readFileSync(path, 'utf8')).toBe('old contents');
    expect(readdirSync(join(path, '..'))).toEqual(['file.bin']);
  });
});

describe('save then load', () => {
  it('reproduces every weight and the outputs bit for bit', async () => {
    const dir = newDir();
    const model = new BertForMaskedLM(C, { seed: 2 }).eval();
    await saveCheckpoint(dir, model);
    const { model: loaded, report } = await loadCheckpoint(dir);
    expect(loaded).toBeInstanceOf(BertForMaskedLM);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(await bitsOf(loaded)).toEqual(await bitsOf(model));
    const [a, b] = [await mlmLogits(model), await mlmLogits(loaded.eval() as BertForMaskedLM)];
    expect(new Uint32Array(b.buffer)).toEqual(new Uint32Array(a.buffer));
    model.dispose();
    loaded.dispose();
  });

  it("saves float16 weights at half the size, each the nearest half of the float32 value, and refuses what float16 cannot hold", async () => {
    const [d32, d16] = [newDir(), newDir()];
    const model = new BertForMaskedLM(C, { seed: 3 }).eval();
    await saveCheckpoint(d32, model);
    await saveCheckpoint(d16, model, { dtype: 'float16' });
    const file = readSafetensors(readFileSync(join(d16, 'model.safetensors')));
    expect(new Set([...file.tensors.values()].map((t) => t.dtype))).toEqual(new Set(['F16']));
    expect(JSON.parse(readFileSync(join(d16, 'config.json'), 'utf8')).torch_dtype).toBe('float16');
    const dataBytes = (d: string) => [...readSafetensors(readFileSync(join(d, 'model.safetensors'))).tensors.values()].reduce((n, t) => n + t.end - t.begin, 0);
    expect(dataBytes(d16) * 2).toBe(dataBytes(d32));

    const { model: loaded } = await loadCheckpoint(d16);
    const [want, got] = [await weightsOf(model), await weightsOf(loaded)];
    for (const [name, v] of Object.entries(want)) {
      // Round to nearest: the loaded value is exactly the f16 rounding of the saved one, so its
      // error is at most half an f16 ulp (2^-11 relative for normal values, 2^-25 absolute below).
      expect(Array.from(got[name]), name).toEqual(Array.from(v, (x) => f16BitsToF32(f32ToF16Bits(x))));
      for (let i = 0; i < v.length; i++) expect(Math.abs(got[name][i] - v[i])).toBeLessThanOrEqual(Math.max(Math.abs(v[i]) * 2 ** -11, 2 ** -25));
    }
    loaded.dispose();

    const big = new BertForMaskedLM(C, { seed: 3 });
    const bias = big.namedParameters().find(([n]) => n === 'cls.predictions.bias')![1];
    const values = new Float32Array(bias.shape.reduce((a, b) => a * b, 1));
    values[5] = 70000;
    bias.assign(values);
    const d = newDir();
    await expect(saveCheckpoint(d, big, { dtype: 'float16' })).rejects.toThrow("parameter 'cls.predictions.bias' holds 70000 at index 5, outside float16's range (+-65504); save it as float32");
    expect(existsSync(join(d, 'model.safetensors'))).toBe(false);
    await expect(saveCheckpoint(d, big, { dtype: 'bfloat16' as never })).rejects.toThrow(`save: dtype must be 'float32' or 'float16', got "bfloat16"`);
    big.dispose();
    model.dispose();
  });

  it('loads a backbone checkpoint (BertModel, no "bert." prefix) into a task model and the reverse', async () => {
    const dir = newDir();
    const base = new BertModel(C, { seed: 3 });
    await saveCheckpoint(dir, base);
    const { model: cls, report } = await loadCheckpoint(dir, { architecture: 'BertForSequenceClassification', numLabels: 2, quiet: true });
    expect(report.missing.sort()).toEqual(['classifier.bias', 'classifier.weight']);
    const baseBits = await bitsOf(base);
    const clsBits = await bitsOf(cls);
    for (const [name, v] of Object.entries(baseBits)) expect(clsBits[`bert.${name}`], name).toEqual(v);
    const dir2 = newDir();
    await saveCheckpoint(dir2, cls);
    const { model: back, report: r2 } = await loadCheckpoint(dir2, { architecture: 'BertModel', quiet: true });
    expect(r2.unexpected.sort()).toEqual(['classifier.bias', 'classifier.weight']);
    expect(await bitsOf(back)).toEqual(baseBits);
    for (const m of [base, cls, back]) m.dispose();
  });
});

describe('loading checkpoints as the Hub has them', () => {
  /** A BertForPreTraining-style file: f16 weights, TF-era LayerNorm names, buffers, the NSP head and a tied decoder copy. */
  async function hubStyle(model: BertForMaskedLM): Promise<Uint8Array> {
    const w = await weightsOf(model);
    const tensors: TensorToWrite[] = Object.entries(w).map(([name, v]) => ({
      name: name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
      dtype: 'F16',
      shape: [...model.namedParameters().find(([n]) => n === name)![1].shape],
      data: Uint16Array.from(v, f32ToF16Bits),
    }));
    const H = C.hidden_size;
    tensors.push(
      { name: 'bert.embeddings.position_ids', dtype: 'I64', shape: [1, 16], data: BigInt64Array.from({ length: 16 }, (_, i) => BigInt(i)) },
      { name: 'cls.seq_relationship.weight', dtype: 'F16', shape: [2, H], data: new Uint16Array(2 * H) },
      { name: 'cls.seq_relationship.bias', dtype: 'F16', shape: [2], data: new Uint16Array(2) },
      { name: 'bert.pooler.dense.weight', dtype: 'F16', shape: [H, H], data: new Uint16Array(H * H) },
      { name: 'bert.pooler.dense.bias', dtype: 'F16', shape: [H], data: new Uint16Array(H) },
      { name: 'cls.predictions.decoder.weight', dtype: 'F16', shape: [C.vocab_size, H], data: Uint16Array.from(w['bert.embeddings.word_embeddings.weight'], f32ToF16Bits) },
    );
    return writeSafetensors(tensors, { format: 'pt' });
  }

  it('converts f16 to f32, maps gamma/beta, skips buffers and tied copies, ignores other heads with a note', async () => {
    const source = new BertForMaskedLM(C, { seed: 4 });
    const dir = newDir();
    await saveCheckpoint(dir, source);
    const config = readFileSync(join(dir, 'config.json'), 'utf8').replace('"BertForMaskedLM"', '"BertForPreTraining"');
    writeFileSync(join(dir, 'config.json'), config);
    writeFileSync(join(dir, 'model.safetensors'), await hubStyle(source));
    const { model, report } = await loadCheckpoint(dir, { quiet: true });
    expect(model).toBeInstanceOf(BertForMaskedLM);
    expect(report.missing).toEqual([]);
    expect(report.unexpected.sort()).toEqual(['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'cls.seq_relationship.bias', 'cls.seq_relationship.weight']);
    expect(report.skipped.sort()).toEqual(['bert.embeddings.position_ids', 'cls.predictions.decoder.weight']);
    expect(report.notes.join('\n')).toMatch(/4 checkpoint tensors have no place in BertForMaskedLM and were ignored/);
    const [want, got] = [await weightsOf(source), await weightsOf(model)];
    for (const [name, v] of Object.entries(want)) {
      // Exactly the f16 values widened: every half is an f32.
      expect(Array.from(got[name]), name).toEqual(Array.from(v, (x) => f16BitsToF32(f32ToF16Bits(x))));
    }
    source.dispose();
    model.dispose();
  });

  it('initialises a head the checkpoint lacks, with a note', async () => {
    const dir = newDir();
    const mlm = new BertForMaskedLM(C, { seed: 5 });
    await saveCheckpoint(dir, mlm);
    const { model, report } = await loadCheckpoint(dir, { architecture: 'BertForQuestionAnswering', quiet: true });
    expect(model).toBeInstanceOf(BertForQuestionAnswering);
    expect(report.missing.sort()).toEqual(['qa_outputs.bias', 'qa_outputs.weight']);
    expect(report.notes.join('\n')).toMatch(/2 parameters are not in the checkpoint and keep their fresh initialisation/);
    mlm.dispose();
    model.dispose();
  });
});

describe('corrupt checkpoints fail cleanly', () => {
  let good: Uint8Array;
  let dir: string;
  beforeAll(async () => {
    dir = newDir();
    const model = new BertForMaskedLM(C, { seed: 6 });
    await saveCheckpoint(dir, model);
    good = readFileSync(join(dir, 'model.safetensors'));
    model.dispose();
  });

  /** Loads `bytes` into an existing model: it must throw `pattern` and leave the weights as they were. */
  async function expectRejected(bytes: Uint8Array, pattern: RegExp | string): Promise<void> {
    const model = new BertForMaskedLM(C, { seed: 7 });
    const before = await bitsOf(model);
    expect(() => loadWeights(model, bytes)).toThrow(pattern);
    expect(await bitsOf(model)).toEqual(before);
    model.dispose();
    // loadCheckpoint builds its own model: nothing of it may stay allocated.
    const live = memory().liveTensors;
    const d = newDir();
    await saveCheckpointFiles(d, bytes);
    await expect(loadCheckpoint(d, { quiet: true })).rejects.toThrow(pattern);
    expect(memory().liveTensors).toBe(live);
  }

  async function saveCheckpointFiles(d: string, bytes: Uint8Array): Promise<void> {
    await writeFileAtomic(join(d, 'config.json'), readFileSync(join(dir, 'config.json')));
    await writeFileAtomic(join(d, 'model.safetensors'), bytes);
  }

  it('a truncated file names the tensor cut short', async () => {
    const st = readSafetensors(good);
    const last = [...st.tensors.values()].sort((a, b) => b.end - a.end)[0];
    await expectRejected(good.subarray(0, good.length - 10), `tensor '${last.name}': data_offsets end at byte ${last.end}`);
  });

  it('a header that lies about offsets names the tensor', async () => {
    const text = new TextDecoder().decode(good.subarray(8, 8 + Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true))));
    const header = JSON.parse(text);
    const name = 'bert.encoder.layer.1.output.dense.weight';
    header[name].data_offsets = [header[name].data_offsets[0] + 4, header[name].data_offsets[1] + 4];
    const lied = new TextEncoder().encode(JSON.stringify(header).padEnd(text.length, ' '));
    expect(lied.length).toBe(text.length);
    const bytes = good.slice();
    bytes.set(lied, 8);
    await expectRejected(bytes, new RegExp(`'${name.replace(/\./g, '\\.')}'`));
  });

  it('a shape that does not match the config names the tensor and both shapes', async () => {
    const wide = new BertForMaskedLM({ ...C, intermediate_size: 40 }, { seed: 8 });
    const d = newDir();
    await saveCheckpoint(d, wide);
    wide.dispose();
    await expectRejected(readFileSync(join(d, 'model.safetensors')),
      "tensor 'bert.encoder.layer.0.intermediate.dense.weight' has shape [40, 8] but the model (vocab_size 50, hidden_size 8, 2 layers, intermediate_size 32");
  });

  it('a missing weights file says so, and points at pytorch_model.bin when only that is there', async () => {
    const d = newDir();
    await writeFileAtomic(join(d, 'config.json'), readFileSync(join(dir, 'config.json')));
    await writeFileAtomic(join(d, 'pytorch_model.bin'), 'x');
    await expect(loadCheckpoint(d)).rejects.toThrow(CheckpointError);
    await expect(loadCheckpoint(d)).rejects.toThrow(/model\.safetensors does not exist \(only pytorch_model\.bin is there/);
    expect(existsSync(join(d, 'model.safetensors'))).toBe(false);
  });
});
