// The browser bundle runs in headless Chromium on navigator.gpu (Debian's chromium, installed by
// `npm run setup`; WebGPU there runs on SwiftShader or on lavapipe through ANGLE).
import type { Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { serveFiles, startDemoServer } from '../demo/browser/serve.ts';
import { BertForMaskedLM, FillMask, type FillMaskCandidate } from '../src/node.ts';
import { gpu } from './util/gpu.ts';
import { CHROMIUM, launchChromium } from './util/chromium.ts';
import { HubServer } from './util/hub-server.ts';
import { testTokenizer, tinyConfig } from './util/train-fixtures.ts';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildBrowser } from '../scripts/build.mjs';

let server: Server;
let browser: Browser;
let url = '';

beforeAll(async () => {
  if (!CHROMIUM) throw new Error('Chromium is not installed: run `npm run setup` (installs Debian chromium for this test)');
  const dir = mkdtempSync(join(tmpdir(), 'wgb-browser-'));
  await buildBrowser(join(dir, 'page.js'), { entryPoints: [join(__dirname, 'browser/page.ts')], sourcemap: false });
  await buildBrowser(join(dir, 'hub-page.js'), { entryPoints: [join(__dirname, 'browser/hub-page.ts')], sourcemap: false });
  await buildBrowser(join(dir, 'kernels-page.js'), { entryPoints: [join(__dirname, 'browser/kernels-page.ts')], sourcemap: false });
  ({ url, server } = await serveFiles({
    '/': ['text/html', '<!doctype html><script type="module" src="/page.js"></script>'],
    '/page.js': ['text/javascript', readFileSync(join(dir, 'page.js'))],
    '/hub.html': ['text/html', '<!doctype html><script type="module" src="/hub-page.js"></script>'],
    '/hub-page.js': ['text/javascript', readFileSync(join(dir, 'hub-page.js'))],
    '/kernels.html': ['text/html', '<!doctype html><script type="module" src="/kernels-page.js"></script>'],
    '/kernels-page.js': ['text/javascript', readFileSync(join(dir, 'kernels-page.js'))],
  }));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe('browser bundle', () => {
  let page: Page;
  beforeAll(async () => {
    page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => window.result !== undefined || window.error !== undefined, null, { timeout: 180_000 });
  }, 200_000);

  it('runs kernels on navigator.gpu and matches the Node result', async () => {
    const error = await page.evaluate(() => window.error);
    expect(error).toBeUndefined();
    const result = await page.evaluate(() => window.result) as { adapter: string; sums: number[] };
    console.log(`browser adapter: ${result.adapter}`);
    expect(result.adapter).toMatch(/\((software|hardware); vendor /);
    const want = [Math.exp(0.5) + Math.exp(-2) + Math.exp(6), Math.exp(2) + Math.exp(-5) + Math.exp(12)];
    result.sums.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-5 * want[i]));
  });

  it('trains a TextClassifier from raw strings, predicts, and reloads it from toFiles()', async () => {
    const { classifier: c } = await page.evaluate(() => window.result) as { classifier: {
      losses: number[]; trainAccuracy: number; progressCalls: number; lastProgress: string;
      predicted: string[]; scores: number[]; reloadedScores: number[];
    } };
    console.log(`browser classifier: loss ${c.losses[0].toFixed(3)} -> ${c.losses.at(-1)!.toFixed(3)}, train accuracy ${c.trainAccuracy}, unseen ${c.predicted.join(', ')}`);
    expect(c.losses.at(-1)!).toBeLessThan(c.losses[0] / 4);
    expect(c.trainAccuracy).toBe(1);
    expect(c.progressCalls).toBeGreaterThan(30); // every step and every epoch end
    expect(c.lastProgress).toBe('epoch-end');
    expect(c.predicted).toEqual(['food', 'weather']);
    expect(c.reloadedScores).toEqual(c.scores); // bit-identical after the round trip
  });
});

describe('every kernel class on the browser\'s adapter (test/browser/kernels-page.ts)', () => {
  it('matmul and attention, forced to each class this adapter runs, match float64 and finite differences', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}kernels.html`);
    await page.waitForFunction(() => window.kernels !== undefined || window.kernelsError !== undefined, null, { timeout: 600_000 });
    expect(await page.evaluate(() => window.kernelsError)).toBeUndefined();
    const r = (await page.evaluate(() => window.kernels))!;
    const ran = new Set(r.checks.filter((c) => !c.skipped).map((c) => c.cls));
    console.log(`browser kernels on ${r.adapter}: ${r.checks.filter((c) => !c.skipped).length} checks, classes ${[...ran].join(', ')}${r.checks.filter((c) => c.skipped).map((c) => `; ${c.cls} skipped: ${c.skipped}`).join('')}`);
    // The two classes that need no subgroups run on every adapter.
    expect(ran.has('hardware') && ran.has('portable')).toBe(true);
    expect(r.checks.filter((c) => c.report !== null).map((c) => `${c.cls} ${c.name}: ${c.report}`)).toEqual([]);
    await page.close();
  }, 660_000);
});

describe('fromPretrained in the browser', () => {
  it('loads a pipeline by name from a local Hub with progress, then offline from the Cache API', async () => {
    await gpu();
    const tokenizer = testTokenizer();
    const fill = new FillMask({ model: new BertForMaskedLM(tinyConfig(tokenizer.vocabSize), { seed: 3 }), tokenizer, sequenceLength: 16 });
    const expected = await fill.predict('the [MASK] sat on the mat');
    const hub = await new HubServer().start();
    hub.repos.set('org/tiny', { files: await fill.toFiles() });
    fill.dispose();
    try {
      const page = await browser.newPage();
      await page.goto(`${url}hub.html?hub=${encodeURIComponent(hub.url)}`);
      await page.waitForFunction(() => window.hubResult !== undefined || window.hubError !== undefined, null, { timeout: 180_000 });
      expect(await page.evaluate(() => window.hubError)).toBeUndefined();
      const r = await page.evaluate(() => window.hubResult) as { first: FillMaskCandidate[]; second: FillMaskCandidate[]; uncached: string; weightsProgress: number; weightsDone: boolean };
      // Another adapter (SwiftShader or ANGLE here, lavapipe in Node): the same tokens, scores to f32 noise.
      expect(r.first.map((c) => c.id)).toEqual(expected.map((c) => c.id));
      r.first.forEach((c, i) => expect(Math.abs(c.score - expected[i].score)).toBeLessThan(1e-4));
      expect(r.second).toEqual(r.first);
      expect(r.weightsProgress).toBeGreaterThan(0);
      expect(r.weightsDone).toBe(true);
      expect(r.uncached).toMatch(/org\/never-seen: offline .*not in the cache \(the browser's Cache API \('webgpu-bert-hub'\)\)/);
      // Offline means no request: the Hub saw only the online load.
      const offlineStart = hub.log.findIndex((q) => q.path.endsWith('pipeline.json'));
      expect(hub.log.slice(offlineStart + 1)).toEqual([]);
      await page.close();
    } finally {
      await hub.stop();
    }
  }, 240_000);
});

describe('browser demo (demo/browser, npm run demo:browser)', () => {
  it('trains on the served texts, draws the curves, reports held-out accuracy and classifies typed text', async () => {
    const { url: demoUrl, server: demoServer } = await startDemoServer({ perClass: 24, maxChars: 400 });
    try {
      const page = await browser.newPage();
      await page.goto(`${demoUrl}?epochs=2&seq=32&hidden=32&vocab=600&batch=8`);
      await page.waitForFunction(() => window.demo?.done, null, { timeout: 180_000 });
      const demo = await page.evaluate(() => window.demo!);
      expect(demo.error).toBeUndefined();
      expect(demo.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(await page.locator('#curves > svg').count()).toBe(1);
      expect(await page.locator('#curves').textContent()).toContain('validation accuracy');
      await page.waitForFunction(() => document.querySelectorAll('#scores tr').length === 2);
      expect(await page.locator('#scores').textContent()).toMatch(/ham[\d.]+%spam[\d.]+%/);
    } finally {
      demoServer.close();
    }
  }, 240_000);
});
