// Installs the package as a user would and checks that it works there: `npm pack`, a fresh project that
// installs the tarball, then a strict `tsc` under moduleResolution node16, nodenext and bundler (no
// skipLibCheck), a plain Node ESM import that runs an op on the GPU, and an esbuild browser bundle.
//   npm run check:package [-- --keep]     (--keep leaves the temporary project and prints its path)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

// What a consumer writes: typed use of the main API, Node entry and browser entry.
const NODE_TS = `import {
  AdamW, BertForMaskedLM, bertConfig, init, shutdown, tensor, tidy, WordPieceTokenizer, trainWordPieceVocab,
  type BertConfig, type Tensor,
} from 'webgpu-bert';

export async function main(): Promise<number> {
  await init();
  const config: BertConfig = bertConfig('bert-tiny', { vocab_size: 64 });
  const model = new BertForMaskedLM(config, { seed: 0 });
  const opt = new AdamW(model, { lr: 1e-3 });
  const vocab: string[] = await trainWordPieceVocab(['a small corpus of words'], { vocabSize: 40 });
  const tok = WordPieceTokenizer.fromVocab(vocab);
  const ids: Int32Array = tok.encode('a small word').ids;
  const x: Tensor<'f32'> = tensor([1, 2, 3], [3]);
  const sum = tidy(() => x);
  const values: Float32Array = await sum.data();
  opt.zeroGrad();
  shutdown();
  return values.length + ids.length;
}
`;
const BROWSER_TS = `import { init, tensor, type Engine } from 'webgpu-bert/browser';

export async function start(gpu: GPU): Promise<Engine> {
  const engine = await init({ gpu });
  tensor([1, 2], [2]).dispose();
  return engine;
}
`;
const RUN_MJS = `import { FillMask, PRESETS, init, ops, shutdown, tensor } from 'webgpu-bert';
await init();
const y = ops.add(tensor([1, 2, 3]), tensor([10, 20, 30]));
console.log('node import ok:', Array.from(await y.data()).join(' '));
for (const { name } of PRESETS) {
  const fill = await FillMask.fromPretrained(name, { offline: true });
  const [top] = await fill.predict('the [MASK] of the united states');
  console.log('preset ok:', name, top.token);
  fill.dispose();
}
shutdown();
`;
const BUNDLE_JS = `import { init, tensor } from 'webgpu-bert';
export const start = async () => { await init(); return tensor([1]); };
`;
const RESOLUTIONS = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`${[cmd, ...args].join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

export async function checkPackage({ keep = false, log = console.log } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wgb-package-'));
  try {
    run(process.execPath, [join(root, 'scripts/build.mjs')], root); // what `prepare` runs on pack
    const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], root))[0];
    const files = packed.files.map((f) => f.path);
    log(`packed ${packed.filename}: ${files.length} files, ${(packed.size / 1e6).toFixed(2)} MB`);
    for (const need of ['dist/node.js', 'dist/browser.js', 'dist/types/node.d.ts', 'dist/types/browser.d.ts', 'dist/types/node.d.ts.map']) {
      if (!files.includes(need)) throw new Error(`the tarball lacks ${need}`);
    }

    const app = join(dir, 'app');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed.filename)], app);
    writeFileSync(join(app, 'src/node-use.ts'), NODE_TS);
    writeFileSync(join(app, 'src/browser-use.ts'), BROWSER_TS);

    for (const [name, resolution] of Object.entries(RESOLUTIONS)) {
      const config = {
        compilerOptions: { target: 'ES2022', ...resolution, strict: true, noEmit: true, skipLibCheck: false, types: [], lib: ['ES2023', 'DOM'] },
        include: ['src'],
      };
      writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify(config, null, 2));
      run(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], app);
      log(`tsc --strict, moduleResolution ${name}: 0 errors`);
    }

    writeFileSync(join(app, 'run.mjs'), RUN_MJS);
    const printed = run(process.execPath, ['run.mjs'], app).split('\n');
    log(printed.find((l) => l.startsWith('node import ok')) ?? 'node import printed nothing');
    for (const l of printed.filter((l) => l.startsWith('preset ok'))) log(l);

    writeFileSync(join(app, 'bundle-entry.js'), BUNDLE_JS);
    const { build } = await import('esbuild');
    const out = join(app, 'bundle.js');
    await build({ entryPoints: [join(app, 'bundle-entry.js')], outfile: out, bundle: true, format: 'esm', platform: 'browser', absWorkingDir: app, logLevel: 'silent' });
    const code = readFileSync(out, 'utf8');
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const imported = [...code.matchAll(/(?:from\s*|import\s*\(|require\s*\()\s*["']([^"']+)["']/g)].map((m) => m[1]);
    if (imported.some((m) => builtins.has(m))) throw new Error(`the browser bundle imports Node built-ins: ${imported.filter((m) => builtins.has(m))}`);
    const missing = readdirSync(join(root, 'shaders')).filter((f) => f.endsWith('.wgsl') && !code.includes(JSON.stringify(f)));
    if (missing.length) throw new Error(`the browser bundle lacks shaders ${missing.join(', ')}`);
    log(`esbuild browser bundle: ${(code.length / 1e6).toFixed(2)} MB, no Node built-ins, shaders inlined`);
    return { dir, files };
  } finally {
    if (keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await checkPackage({ keep: process.argv.includes('--keep') });
}
