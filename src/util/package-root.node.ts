// The installed package's own folders (shaders/, presets/): found by walking up from this module,
// which sits in src/<dir>/ in the repository and in dist/ once built.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The path of `folder` in the package, or null when no directory above this module has it. */
export function packageFolder(folder: string): string | null {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, folder))) return join(dir, folder);
    if (dirname(dir) === dir) return null;
  }
}
