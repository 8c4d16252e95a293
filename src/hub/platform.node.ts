// fromPretrained in Node: directories through the file system, the Hub's cache layout on disk,
// the HF_* environment variables, progress bars on stderr.
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { packageFolder } from '../util/package-root.node.ts';
import { ProgressBar } from '../util/progress.ts';
import { defaultHubCacheDir, NodeHubCache } from './cache.node.ts';
import type { HubPlatform } from './pretrained.ts';

export const nodeHubPlatform: HubPlatform = {
  env: (name) => process.env[name],
  isDirectory: (path) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false,
  async readFile(dir, name) {
    const info = await stat(join(dir, name)).catch(() => null);
    if (!info?.isFile()) return null;
    const b = await readFile(join(dir, name));
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
  exists: async (dir, name) => (await stat(join(dir, name)).catch(() => null))?.isFile() ?? false,
  cache: (dir) => new NodeHubCache(dir ?? defaultHubCacheDir()),
  readsRedirects: true,
  presetLocation(folder) {
    const presets = packageFolder('presets');
    return presets && statSync(join(presets, folder), { throwIfNoEntry: false })?.isDirectory() ? { kind: 'directory', path: join(presets, folder) } : null;
  },
  progressBar(label, total) {
    // Small files (config, vocabulary) finish before a bar would be worth drawing.
    if (total !== undefined && total < 1_000_000) return null;
    const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
    const bar = new ProgressBar({ label, unit: 'MB', total: total === undefined ? undefined : mb(total), output: process.stderr });
    return { update: (loaded) => bar.update(mb(loaded)), finish: () => bar.finish() };
  },
};
