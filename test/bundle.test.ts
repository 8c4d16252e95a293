import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildBrowser } from '../scripts/build.mjs';

describe('browser bundle', () => {
  it('builds with esbuild, imports no Node built-in, and inlines every shader', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'wgb-bundle-')), 'browser.js');
    const result = await buildBrowser(out, { sourcemap: false });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.endsWith('.node.ts'))).toEqual([]);
    const output = Object.values(result.metafile.outputs)[0] as { imports: { path: string }[] };
    expect(output.imports.map((i) => i.path)).toEqual([]);
    const code = readFileSync(out, 'utf8');
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const imported = [...code.matchAll(/(?:from\s*|import\s*\(|require\s*\()\s*["']([^"']+)["']/g)].map((m) => m[1]);
    expect(imported.filter((m) => builtins.has(m))).toEqual([]);
    for (const f of readdirSync(join(__dirname, '..', 'shaders')).filter((f) => f.endsWith('.wgsl'))) {
      expect(code, f).toContain(JSON.stringify(f));
    }
  });
});
