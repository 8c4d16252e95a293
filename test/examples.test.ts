// Every demo in examples/ runs end to end in its --smoke configuration (a few steps on a few
// hundred examples), as a user runs it: a child process, exit status 0, its summary.json written.
// The figures a smoke run reaches mean nothing; the README's quality table comes from full runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clozeExamples, exactMatchF1 } from '../examples/lib/cloze-qa.ts';

const root = join(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'webgpu-bert-demos-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function demo(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', './scripts/register-ts.mjs', `examples/${script}`, '--smoke', ...args], {
    cwd: root, encoding: 'utf8', timeout: 110_000, env: { ...process.env, DEMO_SMOKE: '' },
  });
  if (r.status !== 0) console.error(`${script} ${args.join(' ')}: status ${r.status}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function summary(dir: string): { results: Record<string, number>; phases: { tokensPerSecond: number; peakBytes: number }[]; peakGpuBytes: number; liveTensorsAtEnd: number } {
  return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
}

describe('the synthetic QA task', () => {
  it('makes cloze questions whose answer is the exact span of the passage it was cut from', () => {
    const book = 'Call me Ishmael. Some years ago, never mind how long precisely, having little money in my purse, I thought I would sail about. ' +
      'It is a way I have of driving off the spleen and regulating the circulation. Whenever I find myself growing grim about the mouth, I go to sea.';
    const examples = clozeExamples([book, book.toUpperCase()], { seed: 3, passageChars: 200, perPassage: 3 });
    expect(examples.length).toBeGreaterThan(1);
    for (const ex of examples) {
      expect(ex.context.slice(ex.answer.start, ex.answer.start + ex.answer.text.length)).toBe(ex.answer.text);
      expect(ex.question).toMatch(/\bwhat\b.*\?$/);
      expect(ex.answer.text).toMatch(/^[A-Za-z]{4,}$/);
    }
  });

  it("scores answers with SQuAD's exact match and F1", () => {
    expect(exactMatchF1('The Pequod.', 'pequod')).toEqual({ em: 1, f1: 1 });
    expect(exactMatchF1('white whale', 'the whale')).toEqual({ em: 0, f1: 2 / 3 });
    expect(exactMatchF1('', 'whale')).toEqual({ em: 0, f1: 0 });
  });
});

describe('demos (smoke configuration)', () => {
  it('mlm-then-classify: from the preset, masked-LM, fine-tunes frozen then unfrozen, saves, reloads, classifies', () => {
    const out = join(scratch, 'mlm-then-classify');
    const r = demo('mlm-then-classify.ts', ['--out', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('starting from the preset webgpu-bert/bert-tiny-shipped-corpora');
    expect(r.stdout).toMatch(/Epoch 2 fill-mask: Click here to \[MASK\]/);
    expect(r.stdout).toMatch(/what it reached/);
    for (const f of ['summary.json', 'mlm-curves.svg', 'classifier-curves.svg', 'pretrained/model.safetensors', 'pretrained/vocab.txt', 'classifier/pipeline.json']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const s = summary(out);
    expect(s.phases.map((p) => p.tokensPerSecond).every((t) => t > 0)).toBe(true);
    expect(s.peakGpuBytes).toBeGreaterThan(0);
    // The reloaded end-to-end model scores the test set exactly as the one in memory did.
    expect(s.results.reloadedTestAccuracy).toBe(s.results.testAccuracy);
  });

  it('mlm-then-classify --from scratch: a vocabulary and a model of its own', () => {
    const out = join(scratch, 'mlm-then-classify-scratch');
    const r = demo('mlm-then-classify.ts', ['--out', out, '--from', 'scratch']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('starting from scratch');
    expect(r.stdout).toMatch(/WordPiece vocabulary of 600 learnt/);
  });

  it('classify-with-warmup: starts from that checkpoint, takes a class-folder directory, reloads identically; names a bad directory', () => {
    const dir = join(scratch, 'folders');
    const words = ['good', 'fine', 'great', 'bad', 'awful', 'poor'];
    for (const [c, cls] of ['neg', 'pos'].entries()) {
      mkdirSync(join(dir, cls), { recursive: true });
      for (let i = 0; i < 40; i++) {
        const w = (k: number) => words[c * 3 + ((i + k) % 3)];
        writeFileSync(join(dir, cls, `${i}.txt`), `this film was ${w(0)} and the acting was ${w(1)}, a ${w(2)} story overall number ${i}.`);
      }
    }
    mkdirSync(join(dir, 'unsup'));
    writeFileSync(join(dir, 'unsup', '0.txt'), 'not a class');
    const out = join(scratch, 'classify-with-warmup');
    const pretrained = join(scratch, 'mlm-then-classify', 'pretrained');
    const r = demo('classify-with-warmup.ts', ['--data', dir, '--out', out, '--pretrained', pretrained]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`starting from ${pretrained}`);
    expect(r.stdout).toMatch(/52 training texts \(neg \d+, pos \d+\), 12 validation texts .*, 16 test texts/);
    expect(r.stdout).toContain('the reloaded model gives bit-identical scores');
    for (const f of ['summary.json', 'curves.svg', 'classifier/model.safetensors']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(summary(out).results.identical).toBe(true);

    const bad = demo('classify-with-warmup.ts', ['--data', join(scratch, 'no-such-dir'), '--out', out]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/error: --data .*no-such-dir: no such directory/);
  });

  it('embeddings-and-qa: embeddings and fill-mask of the preset, fine-tunes on the synthetic cloze task, scores EM / F1, answers raw paragraphs', () => {
    const out = join(scratch, 'embeddings-and-qa');
    const r = demo('embeddings-and-qa.ts', ['--out', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('TRAINED ON THIS SYNTHETIC CLOZE TASK');
    expect(r.stdout).toMatch(/sequence output: shape \[1, \d+, 128\]/);
    expect(r.stdout).toMatch(/hidden state 2 \(layer 2\): shape/);
    expect(r.stdout).toMatch(/fill-mask "i love \[MASK\]\.": \S+ 0\.\d{3}/);
    expect(r.stdout).toMatch(/Q: The city stands on the river what\?\n  A: "/);
    const s = summary(out);
    expect(s.results.exactMatch).toBeGreaterThanOrEqual(0);
    expect(s.results.f1).toBeGreaterThanOrEqual(s.results.exactMatch);
  });

  it('kerasnlp-workflows: vocabulary, explicit packer + mask generator pretraining, a tiny transformer from scratch, raw strings', () => {
    const out = join(scratch, 'kerasnlp-workflows');
    const r = demo('kerasnlp-workflows.ts', ['--out', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Brown corpus: 20 documents in 15 classes/);
    expect(r.stdout).toMatch(/held-out masked-token accuracy/);
    expect(r.stdout).toMatch(/"The senator told reporters.*"\n    -> \w+ \d\.\d{3}/);
    for (const f of ['summary.json', 'mlm-curves.svg', 'classifier-curves.svg']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(r.stdout).toContain('4. the pretrained preset fine-tuned as a classifier');
    for (const f of ['finetune-curves.svg']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(summary(out).phases).toHaveLength(3);
  });
});
