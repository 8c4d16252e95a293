// Builds the two published entries with esbuild, and their declarations with tsc:
//   dist/node.js     Node (Dawn); reads shaders/ from the package at run time
//   dist/browser.js  browsers; every shaders/*.wgsl inlined through 'webgpu-bert:shaders'
//   dist/types/      .d.ts files (with maps back to src/) for both entries
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** esbuild plugin: 'webgpu-bert:shaders' -> { 'matmul.wgsl': '...', ... } */
export const inlineShaders = {
  name: 'inline-shaders',
  setup(b) {
    b.onResolve({ filter: /^webgpu-bert:shaders$/ }, () => ({ path: 'shaders', namespace: 'webgpu-bert' }));
    b.onLoad({ filter: /.*/, namespace: 'webgpu-bert' }, () => {
      const dir = join(root, 'shaders');
      const map = {};
      for (const f of readdirSync(dir).filter((f) => f.endsWith('.wgsl')).sort()) map[f] = readFileSync(join(dir, f), 'utf8');
      return { contents: `export default ${JSON.stringify(map)};`, loader: 'js', watchDirs: [dir] };
    });
  },
};

export async function buildBrowser(outfile = join(root, 'dist/browser.js'), extra = {}) {
  return build({
    entryPoints: [join(root, 'src/browser.ts')],
    outfile, bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    plugins: [inlineShaders], sourcemap: true, logLevel: 'warning', metafile: true, ...extra,
  });
}

export async function buildNode(outfile = join(root, 'dist/node.js')) {
  return build({
    entryPoints: [join(root, 'src/node.ts')],
    outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20',
    packages: 'external', sourcemap: true, logLevel: 'warning',
  });
}

/**
 * Declarations for dist/types/: tsc with the project's options, from the two entries. Sources import
 * `./x.ts` (run directly by Node and vitest) and tsc keeps those specifiers in declarations, which a
 * consumer's tsc rejects (TS5097), so they are rewritten to `./x.js`, the name that resolves to
 * `./x.d.ts` under every module resolution. The entries reference @webgpu/types, whose global GPU*
 * types the declarations use.
 */
export async function buildTypes(outDir = join(root, 'dist/types')) {
  const ts = (await import('typescript')).default;
  const configPath = join(root, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root, {
    noEmit: false, declaration: true, emitDeclarationOnly: true, declarationMap: true, outDir, rootDir: join(root, 'src'),
  }, configPath);
  const entries = ['node.ts', 'browser.ts', 'modules.d.ts'].map((f) => join(root, 'src', f));
  const program = ts.createProgram(entries, parsed.options);
  const errors = ts.getPreEmitDiagnostics(program);
  if (errors.length) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
  rmSync(outDir, { recursive: true, force: true });
  const written = [];
  const ENTRY = /[\\/](node|browser|index)\.d\.ts$/;
  program.emit(undefined, (file, text) => {
    if (file.endsWith('.d.ts')) {
      text = text.replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\.ts\2/g, '$1$2$3.js$2');
      if (ENTRY.test(file)) text = '/// <reference types="@webgpu/types" />\n' + text;
    } else if (ENTRY.test(file.replace(/\.map$/, ''))) {
      const map = JSON.parse(text); // one line more at the top
      text = JSON.stringify({ ...map, mappings: ';' + map.mappings });
    }
    ts.sys.writeFile(file, text);
    written.push(relative(root, file));
  });
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [, , types] = await Promise.all([buildBrowser(), buildNode(), buildTypes()]);
  console.log(`built dist/browser.js, dist/node.js and ${types.filter((f) => f.endsWith('.d.ts')).length} declaration files in dist/types/`);
}
