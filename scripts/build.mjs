// Builds the two published entries with esbuild:
//   dist/node.js     Node (Dawn); reads shaders/ from the package at run time
//   dist/browser.js  browsers; every shaders/*.wgsl inlined through 'webgpu-bert:shaders'
import { build } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await Promise.all([buildBrowser(), buildNode()]);
  console.log('built dist/browser.js and dist/node.js');
}
