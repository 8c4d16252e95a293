// fromPretrained in browsers: no directories, the Cache API, progress through onProgress only.
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
};
