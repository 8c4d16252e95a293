// Fuzzing the readers of files that come from elsewhere: random (seeded) mutations of a valid
// model.safetensors and config.json. Each mutant must be read, or rejected with the library's own
// error naming the file or key: never a hang, a crash, or a TypeError / RangeError from inside.
import { beforeAll, describe, expect, it } from 'vitest';
import { BertForMaskedLM, CheckpointError, SafetensorsError, checkpointFiles, parseConfig, readSafetensors, toFloat32 } from '../src/node.ts';
import { planLoad } from '../src/io/checkpoint.ts';
import { BERT_DEFAULTS, type BertConfig } from '../src/nn/config.ts';
import { gpu } from './util/gpu.ts';
import { rng } from './util/random.ts';

beforeAll(gpu);

const CFG: BertConfig = { ...BERT_DEFAULTS, vocab_size: 11, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 8, max_position_embeddings: 6 };

/** Runs fn; a thrown error must be one of `allowed` (the library's own), with a message. */
function survives(fn: () => unknown, allowed: (e: Error) => boolean, what: string): 'read' | 'rejected' {
  try {
    fn();
    return 'read';
  } catch (e) {
    expect(e, what).toBeInstanceOf(Error);
    if (!allowed(e as Error)) throw new Error(`${what}: unexpected ${(e as Error).name}: ${(e as Error).message}`);
    expect((e as Error).message.length, what).toBeGreaterThan(10);
    return 'rejected';
  }
}

describe('fuzzing the safetensors reader and the checkpoint planner', () => {
  it('reads or rejects 600 mutants of a valid file with SafetensorsError / CheckpointError', async () => {
    const model = new BertForMaskedLM(CFG, { seed: 1 });
    const good = (await checkpointFiles(model))['model.safetensors'] as Uint8Array;
    const headerEnd = 8 + Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
    const r = rng(42);
    const int = (n: number) => Math.floor(r() * n);
    const mutations: ((b: Uint8Array) => Uint8Array)[] = [
      (b) => b.subarray(0, int(b.length)), // truncate anywhere
      (b) => { const c = b.slice(); c[int(headerEnd)] = int(256); return c; }, // a byte of the header
      (b) => { const c = b.slice(); for (let k = 0; k < 8; k++) c[8 + int(headerEnd - 8)] = ' {}[]",:0123456789-e.'.charCodeAt(int(21)); return c; }, // JSON punctuation
      (b) => { const c = b.slice(); new DataView(c.buffer).setUint32(int(2) * 4, int(2 ** 32), true); return c; }, // the size field
      (b) => { const c = b.slice(); c[int(c.length)] ^= 1 << int(8); return c; }, // one bit anywhere
      (b) => { const extra = new Uint8Array(int(16) + 1); const c = new Uint8Array(b.length + extra.length); c.set(b); c.set(extra, b.length); return c; }, // trailing bytes
      (b) => { // a digit of an offset or shape changed
        const c = b.slice();
        const digits = [...c.subarray(8, headerEnd).keys()].filter((i) => c[8 + i] >= 0x30 && c[8 + i] <= 0x39);
        if (digits.length) c[8 + digits[int(digits.length)]] = 0x30 + int(10);
        return c;
      },
    ];
    const outcome = { read: 0, rejected: 0 };
    for (let i = 0; i < 600; i++) {
      const mutant = mutations[i % mutations.length](good);
      const result = survives(() => {
        const file = readSafetensors(mutant, 'fuzz/model.safetensors');
        for (const name of file.tensors.keys()) toFloat32(file, name);
        planLoad(model, file);
      }, (e) => e instanceof SafetensorsError || e instanceof CheckpointError, `mutant ${i}`);
      outcome[result]++;
    }
    // Both paths were exercised (a fuzzer that only ever hits one proves little).
    expect(outcome.rejected).toBeGreaterThan(100);
    expect(outcome.read).toBeGreaterThan(10);
    model.dispose();
  });
});

describe('fuzzing the config.json reader', () => {
  const good = { ...CFG, architectures: ['BertForMaskedLM'] } as Record<string, unknown>;
  const values: unknown[] = [null, true, false, 0, -1, 1, 0.5, 1.5, 2 ** 31, 1e9, 1e300, -1e-12, '', 'gelu', '12', '1e-12', [], [1], ['x'], {}, { 0: 'a' }, { a: 1 }];
  it('reads or rejects 1000 mutants naming the key, and what it reads is a valid config', () => {
    const r = rng(7);
    const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
    const keys = [...Object.keys(good), 'num_labels', 'id2label', 'label2id', 'classifier_dropout', 'model_type', 'unknown_key'];
    const outcome = { read: 0, rejected: 0 };
    for (let i = 0; i < 1000; i++) {
      const c: Record<string, unknown> = { ...good };
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) {
        const key = pick(keys);
        if (r() < 0.15) delete c[key];
        else c[key] = pick(values);
      }
      let text = JSON.stringify(c);
      if (i % 5 === 4) { // and some text-level damage
        const at = Math.floor(r() * text.length);
        text = text.slice(0, at) + pick(['', '}', ',', '"', 'x', ' ']) + text.slice(at + 1);
      }
      const result = survives(() => {
        const parsed = parseConfig(text);
        // What is accepted is usable: positive integer sizes, heads dividing the hidden size.
        for (const f of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size'] as const) {
          expect(Number.isInteger(parsed[f]) && parsed[f] > 0, `${f} of mutant ${i}`).toBe(true);
        }
        expect(parsed.hidden_size % parsed.num_attention_heads).toBe(0);
        expect(typeof parsed.layer_norm_eps).toBe('number');
      }, (e) => (e.name === 'Error' || e.name === 'SyntaxError') && /^(BERT config: |config\.json)/.test(e.message), `mutant ${i}: ${text.slice(0, 200)}`);
      outcome[result]++;
    }
    expect(outcome.rejected).toBeGreaterThan(200);
    expect(outcome.read).toBeGreaterThan(50);
  });
});
