// Runs bench/browser/train-page.ts in headless Chromium (Debian's, from `npm run setup`) and returns
// what it measured. The page is served cross-origin isolated (COOP/COEP), which tfjs-wasm needs for
// its threads; tfjs's .wasm files come from node_modules.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveFiles } from '../../demo/browser/serve.ts';
import { CHROMIUM, launchChromium } from '../../test/util/chromium.ts';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildBrowser } from '../../scripts/build.mjs';
import type { CaseResult } from '../train-core.ts';

export interface BrowserResults {
  adapter: string;
  userAgent: string;
  notes: string[];
  results: CaseResult[];
}

const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** The page's cases: `quick` as in Node, `steps` for the cases without a curve, `only` a name filter. */
export async function runInBrowser(options: { quick: boolean; steps: number; vocab: string; docs: string[]; only?: string; timeoutMs?: number }): Promise<BrowserResults> {
  if (!CHROMIUM) throw new Error('bench:train --browser: Chromium is not installed (`npm run setup` installs Debian chromium)');
  const dir = mkdtempSync(join(tmpdir(), 'wgb-bench-train-'));
  const wasmDir = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  try {
    await buildBrowser(join(dir, 'page.js'), { entryPoints: [join(dirname(fileURLToPath(import.meta.url)), 'train-page.ts')], sourcemap: false });
    const files: Record<string, [string, Buffer | string]> = {
      '/': ['text/html', '<!doctype html><script type="module" src="/page.js"></script>'],
      '/page.js': ['text/javascript', readFileSync(join(dir, 'page.js'))],
      '/vocab.txt': ['text/plain', readFileSync(options.vocab)],
      '/docs.json': ['application/json', JSON.stringify(options.docs)],
    };
    for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) files[`/wasm/${f}`] = ['application/wasm', readFileSync(join(wasmDir, f))];
    const { url, server } = await serveFiles(files, 0, ISOLATED);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      page.on('console', (m) => { if (m.text().startsWith('bench:train')) console.log(m.text()); });
      const query = `?quick=${options.quick ? 1 : 0}&steps=${options.steps}${options.only ? `&only=${encodeURIComponent(options.only)}` : ''}`;
      await page.goto(url + query);
      await page.waitForFunction(() => window.result !== undefined || window.error !== undefined, null, { timeout: options.timeoutMs ?? 3_600_000, polling: 1000 });
      const error = await page.evaluate(() => window.error);
      if (error) throw new Error(`bench:train in Chromium failed: ${error}`);
      return (await page.evaluate(() => window.result)) as BrowserResults;
    } finally {
      await browser.close();
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
