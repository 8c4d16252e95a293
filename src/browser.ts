// webgpu-bert for browsers: navigator.gpu, shaders inlined into the bundle by esbuild
// (scripts/build.mjs resolves 'webgpu-bert:shaders' to a map of shaders/*.wgsl).
import shaders from 'webgpu-bert:shaders';
import type { Engine } from './gpu/engine.ts';
import { disposeEngine, engine, hasEngine, initEngine } from './gpu/runtime.ts';
import { parseKernelClass, type KernelClass } from './gpu/kernel-class.ts';
import { shaderLoaderFromMap } from './gpu/shaders.ts';
import { setHubPlatform } from './hub/pretrained.ts';
import { browserHubPlatform } from './hub/platform.browser.ts';

export * from './index.ts';
export { BrowserHubCache } from './hub/cache.browser.ts';

// fromPretrained: the Cache API, progress through onProgress.
setHubPlatform(browserHubPlatform);

const HINT = 'This browser exposes no WebGPU adapter: use a browser with WebGPU enabled (Chrome/Edge 113+, or a flag such as --enable-unsafe-webgpu).';

export interface InitOptions {
  /** A GPU object other than navigator.gpu. */
  gpu?: GPU;
  /** Forces a kernel family ('software', 'hardware', 'portable'); 'auto' (default) picks from the adapter. */
  kernels?: KernelClass | 'auto';
}

export async function init(options: InitOptions = {}): Promise<Engine> {
  if (hasEngine()) return engine();
  const gpu = options.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  return initEngine(gpu, shaderLoaderFromMap(shaders), HINT, parseKernelClass(options.kernels, 'init({ kernels })'));
}

export function shutdown(): void {
  disposeEngine();
}
