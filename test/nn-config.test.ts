// Configs, the module/parameter system and span extraction: no kernels involved.
import { beforeAll, describe, expect, it } from 'vitest';
import { memory } from '../src/node.ts';
import { BERT_DEFAULTS, bertConfig, labelMaps, parseConfig } from '../src/nn/config.ts';
import { Module, ModuleList, Parameter } from '../src/nn/module.ts';
import { Generator } from '../src/nn/random.ts';
import { bestSpans, contextTokens } from '../src/nn/spans.ts';
import { gpu } from './util/gpu.ts';

beforeAll(gpu);

describe('BERT configs', () => {
  it('names the published sizes and derives intermediate = 4 x hidden', () => {
    const sizes = {
      'L-2_H-128_A-2': [2, 128, 2], 'L-4_H-256_A-4': [4, 256, 4], 'L-4_H-512_A-8': [4, 512, 8],
      'L-8_H-512_A-8': [8, 512, 8], 'L-12_H-768_A-12': [12, 768, 12],
    };
    for (const [name, [l, h, a]] of Object.entries(sizes)) {
      const c = bertConfig(name, { vocab_size: 1000 });
      expect([c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.intermediate_size]).toEqual([l, h, a, 4 * h]);
    }
    expect(bertConfig('bert-tiny').hidden_size).toBe(128);
    expect(bertConfig('bert-base')).toEqual(BERT_DEFAULTS);
    expect(bertConfig('google/bert_uncased_L-4_H-256_A-4').num_hidden_layers).toBe(4);
  });

  it('takes the vocabulary size from a tokenizer', () => {
    expect(bertConfig('bert-mini', { vocab: { vocabSize: 8192 } }).vocab_size).toBe(8192);
  });

  it('reads config.json with HF defaults for absent fields and clear errors for bad ones', () => {
    const c = parseConfig('{"hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 1, "intermediate_size": 256, "architectures": ["BertForMaskedLM"], "gradient_checkpointing": false}');
    expect(c.vocab_size).toBe(30522);
    expect(c.layer_norm_eps).toBe(1e-12);
    expect(c.gradient_checkpointing).toBe(false); // unknown fields are kept
    expect(() => parseConfig('{"hidden_size": 100, "num_attention_heads": 12}')).toThrow('hidden_size (100) must be a multiple of num_attention_heads (12)');
    expect(() => parseConfig('{"model_type": "roberta"}')).toThrow(/model_type 'roberta' is not supported/);
    expect(() => parseConfig('{"position_embedding_type": "relative_key"}')).toThrow(/only 'absolute'/);
    expect(() => parseConfig('{"hidden_act": "swish"}')).toThrow(/hidden_act 'swish'/);
    expect(() => parseConfig('not json')).toThrow(/not valid JSON/);
    expect(() => bertConfig('L-2_H-128')).toThrow(/unknown size/);
  });

  it('writes HF label maps', () => {
    expect(labelMaps(2, ['neg', 'pos'])).toEqual({ id2label: { 0: 'neg', 1: 'pos' }, label2id: { neg: 0, pos: 1 } });
    expect(labelMaps(1).id2label).toEqual({ 0: 'LABEL_0' });
  });
});

class Pair extends Module {
  readonly a: Parameter;
  readonly shared: Parameter;
  constructor(shared: Parameter) {
    super();
    this.a = this.param('inner.a', Parameter.fromHost(new Float32Array(4), [2, 2]));
    this.shared = this.param('tied', shared);
  }
}

class Tree extends Module {
  readonly embedding: Parameter;
  readonly pairs: ModuleList<Pair>;
  constructor() {
    super();
    this.embedding = this.param('embeddings.weight', Parameter.fromHost(new Float32Array(6), [3, 2]));
    this.pairs = this.child('layer', new ModuleList([new Pair(this.embedding), new Pair(this.embedding)]));
  }
}

describe('modules', () => {
  it('name parameters by dotted paths, once each even when shared', () => {
    const t = new Tree();
    expect(t.namedParameters().map(([n]) => n)).toEqual(['embeddings.weight', 'layer.0.inner.a', 'layer.1.inner.a']);
    expect(t.parameterCount()).toBe(6 + 4 + 4);
    expect(t.namedModules().map(([n]) => n)).toEqual(['', 'layer', 'layer.0', 'layer.1']);
    t.dispose();
  });

  it('freeze recursively, switch train/eval recursively, and free their memory on dispose', () => {
    const before = memory().liveTensors;
    const t = new Tree();
    expect(t.trainable).toBe(true);
    t.pairs.items[1].trainable = false;
    expect(t.trainable).toBe(false);
    expect(t.pairs.items[0].a.trainable).toBe(true);
    expect(t.embedding.trainable).toBe(false); // shared with the frozen pair
    t.eval();
    expect(t.namedModules().every(([, m]) => !m.training)).toBe(true);
    t.train();
    expect(t.pairs.items[1].training).toBe(true);
    t.dispose();
    expect(memory().liveTensors).toBe(before);
  });

  it('refuse a name registered twice', () => {
    class Bad extends Module {
      constructor() {
        super();
        this.param('w', Parameter.fromHost(new Float32Array(1), [1]));
        this.param('w', Parameter.fromHost(new Float32Array(1), [1]));
      }
    }
    expect(() => new Bad()).toThrow("'w' is registered twice");
  });
});

describe('the generator', () => {
  it('is reproducible from its state and gives normal samples of the right moments', () => {
    const g = new Generator(42);
    g.normal(10);
    const state = g.state();
    const a = g.normal(20_000, 0.02);
    g.setState(state);
    expect(g.normal(20_000, 0.02)).toEqual(a);
    const mean = a.reduce((p, x) => p + x, 0) / a.length;
    const std = Math.sqrt(a.reduce((p, x) => p + (x - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean)).toBeLessThan(0.02 * 0.03);
    expect(Math.abs(std / 0.02 - 1)).toBeLessThan(0.02);
    expect(new Generator(1).nextSeed()).not.toBe(new Generator(2).nextSeed());
  });
});

describe('answer spans', () => {
  const start = [5, 0, 3, 1, 0, 9];
  const end = [5, 0, 1, 4, 2, 0];

  it('pick the best start <= end within the allowed tokens and the length limit', () => {
    const allowed = [0, 1, 1, 1, 1, 0];
    expect(bestSpans(start, end, { allowed })).toEqual([{ start: 2, end: 3, score: 7 }]);
    expect(bestSpans(start, end, { allowed, maxAnswerLength: 1 })).toEqual([{ start: 3, end: 3, score: 5 }]);
    expect(bestSpans(start, end, { allowed, nBest: 3 }).map((s) => [s.start, s.end])).toEqual([[2, 3], [2, 4], [3, 3]]);
    // Without restrictions the CLS token and position 5 win.
    expect(bestSpans(start, end)[0]).toEqual({ start: 0, end: 0, score: 10 });
  });

  it('never returns end < start, and returns nothing when nothing is allowed', () => {
    expect(bestSpans([0, 9], [9, 0], { nBest: 5 }).every((s) => s.start <= s.end)).toBe(true);
    expect(bestSpans(start, end, { allowed: new Array(6).fill(0) })).toEqual([]);
  });

  it('finds the context of [CLS] question [SEP] context [SEP] [PAD]', () => {
    const ids = [101, 7, 102, 8, 9, 102, 0];
    const types = [0, 0, 0, 1, 1, 1, 0];
    const mask = [1, 1, 1, 1, 1, 1, 0];
    expect(Array.from(contextTokens(types, mask, ids, [102]))).toEqual([0, 0, 0, 1, 1, 0, 0]);
  });
});
