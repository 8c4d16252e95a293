// The published package, installed as a user installs it: `npm pack`, a fresh project, strict tsc
// under node16 / nodenext / bundler resolution, a Node ESM import running an op and loading every
// preset by name, an esbuild browser bundle (scripts/check-package.mjs; `npm run check:package` runs
// the same and prints it).
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../src/hub/presets.ts';
// @ts-expect-error: a plain .mjs script without type declarations
import { checkPackage } from '../scripts/check-package.mjs';

describe('package', () => {
  it('type-checks strictly, imports in Node and bundles for the browser once installed from its tarball', async () => {
    const lines: string[] = [];
    const { files } = await checkPackage({ log: (l: string) => lines.push(l) });
    expect(lines.filter((l) => /^tsc --strict, moduleResolution \w+: 0 errors$/.test(l))).toHaveLength(3);
    expect(lines).toContain('node import ok: 11 22 33');
    // Every preset loads by name from the installed package, offline.
    expect(lines.filter((l) => l.startsWith('preset ok: '))).toHaveLength(PRESETS.length);
    expect(lines.some((l) => l.startsWith('esbuild browser bundle:'))).toBe(true);
    // Declarations and their maps ship; the sources they map to ship too; tests and benches do not.
    expect(files).toContain('dist/types/index.d.ts.map');
    expect(files).toContain('src/index.ts');
    for (const p of PRESETS) for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'README.md']) expect(files).toContain(`presets/${p.folder}/${f}`);
    expect(files.filter((f: string) => f.startsWith('test/') || f.startsWith('bench/'))).toEqual([]);
  }, 300_000);
});
