// fromPretrained in browsers: no directories, the Cache API, progress through onProgress only,
// presets fetched from the package's presets/ folder.
import { BrowserHubCache } from './cache.browser.ts';
import type { HubPlatform } from './pretrained.ts';

export const browserHubPlatform: HubPlatform = {
  env: () => undefined,
  isDirectory: () => false,
  readFile: async () => null,
  exists: async () => false,
  cache: () => (typeof caches !== 'undefined' ? new BrowserHubCache() : null),
  readsRedirects: false,
  progressBar: () => null,
  // Beside dist/browser.js in the package, as a CDN (jsdelivr, unpkg) or a server of node_modules
  // serves it. A bundler moves this module; then pass the served folder's URL instead.
  presetLocation: (folder) => ({ kind: 'url', base: new URL(`../presets/${folder}`, import.meta.url).href }),
};
