// Every demo in examples/ runs end to end in its --smoke configuration (a few steps on a few
// hundred examples), as a user runs it: a child process, exit status 0, its summary.json written.
// The figures a smoke run reaches mean nothing; the README's quality table comes from full runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

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

describe('demos (smoke configuration)', () => {
  it('mlm-then-classify: pretrains, fine-tunes frozen then unfrozen, saves, reloads, classifies', () => {
    const out = join(scratch, 'mlm-then-classify');
    const r = demo('mlm-then-classify.ts', ['--out', out]);
    expect(r.status).toBe(0);
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

  it('mlm-then-classify: takes a class-folder directory, and names a bad one', () => {
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
    const out = join(scratch, 'folders-out');
    const r = demo('mlm-then-classify.ts', ['--data', dir, '--out', out, '--vocab', '120']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/64 training texts \(neg 3\d, pos 3\d\), 16 test texts/);
    expect(summary(out).results.testAccuracy).toBeGreaterThanOrEqual(0);

    const bad = demo('mlm-then-classify.ts', ['--data', join(scratch, 'no-such-dir'), '--out', out]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/error: --data .*no-such-dir: no such directory/);
  });
});
