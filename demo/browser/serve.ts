// Serves the browser demo: bundles demo/browser/main.ts with the library (shaders inlined), and
// sends a seeded, class-balanced sample of SpamAssassin (or of any class-folder directory such as
// aclImdb/train) as /data.json, split 80/20.
//   npm run demo:browser -- [--data DIR] [--per-class 400] [--port 8080]
// then open the printed address in a browser with WebGPU (Chrome/Edge 113+).
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadSpamAssassin, textDatasetFromDirectory, trainTestSplit, Random, type TextExample } from '../../src/node.ts';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildBrowser } from '../../scripts/build.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export interface DemoServerOptions {
  /** A class-folder directory (aclImdb layout; `unsup` skipped) instead of SpamAssassin. */
  data?: string;
  /** Texts per class sent to the page (training + held out). Default 400. */
  perClass?: number;
  /** Characters kept of each text. Default 2000. */
  maxChars?: number;
  port?: number;
  seed?: number;
}

async function sample(options: DemoServerOptions) {
  const { perClass = 400, maxChars = 2000, seed = 0 } = options;
  const corpus = options.data
    ? { name: options.data, ...textDatasetFromDirectory(options.data, { skip: ['unsup'] }) }
    : loadSpamAssassin();
  const all: TextExample[] = await corpus.examples.toArray();
  new Random(seed).shuffle(all);
  const picked = corpus.classNames.flatMap((_, label) => all.filter((e) => e.label === label && e.text.trim()).slice(0, perClass));
  const { train, test } = trainTestSplit(picked, { testFraction: 0.2, seed });
  const part = (xs: TextExample[]) => ({ texts: xs.map((e) => e.text.slice(0, maxChars)), labels: xs.map((e) => e.label) });
  return { source: corpus.name, classNames: corpus.classNames, train: part(train), test: part(test) };
}

/** Builds the page and starts the server; resolves to its address. */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<{ url: string; server: Server }> {
  const out = mkdtempSync(join(tmpdir(), 'webgpu-bert-demo-'));
  await buildBrowser(join(out, 'main.js'), { entryPoints: [join(here, 'main.ts')], sourcemap: false });
  const files: Record<string, [string, Buffer | string]> = {
    '/': ['text/html', readFileSync(join(here, 'index.html'))],
    '/main.js': ['text/javascript', readFileSync(join(out, 'main.js'))],
    '/data.json': ['application/json', Buffer.from(JSON.stringify(await sample(options)))],
  };
  return serveFiles(files, options.port);
}

/**
 * Serves a fixed map of paths to [content type, body] on 127.0.0.1 (port 0: any free port), with
 * `headers` on every response (e.g. the two that make a page cross-origin isolated).
 */
export async function serveFiles(files: Record<string, [string, Buffer | string]>, port = 0, headers: Record<string, string> = {}): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (file) res.writeHead(200, { ...headers, 'content-type': file[0] }).end(file[1]);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : undefined; };
  const { url } = await startDemoServer({ data: arg('data'), perClass: arg('per-class') ? Number(arg('per-class')) : undefined, port: Number(arg('port') ?? 8080) });
  console.log(`webgpu-bert browser demo: open ${url} in a browser with WebGPU (Ctrl-C to stop)`);
}
