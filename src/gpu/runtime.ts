// The process-wide engine and the functions users call without holding it: init, tidy, memory.
import { Engine, type MemoryInfo } from './engine.ts';
import type { KernelClass } from './kernel-class.ts';
import { setShaderLoader, type ShaderLoader } from './shaders.ts';
import type { Tensor } from './tensor.ts';

let current: Engine | null = null;

export function engine(): Engine {
  if (!current) throw new Error('webgpu-bert is not initialised: call `await init()` first.');
  return current;
}

export function hasEngine(): boolean {
  return current !== null;
}

export async function initEngine(gpu: GPU | undefined, loader: ShaderLoader, hint: string, kernels?: KernelClass): Promise<Engine> {
  setShaderLoader(loader);
  if (current) return current;
  current = await Engine.create(gpu, hint, kernels);
  return current;
}

export function disposeEngine(): void {
  current?.destroy();
  current = null;
}

/** Runs fn in a scope: every tensor it creates is disposed at the end unless returned or kept. */
export function tidy<T>(fn: () => T): T {
  const scopes = engine().scopes;
  scopes.begin();
  let result: T | undefined;
  try {
    result = fn();
    if (result instanceof Promise) throw new Error('tidy() takes a synchronous function; use tidyAsync() for async steps');
    return result;
  } finally {
    scopes.end(result);
  }
}

/** tidy() for an async step. Scopes are a stack: do not interleave two tidyAsync() calls. */
export async function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  const scopes = engine().scopes;
  scopes.begin();
  let result: T | undefined;
  try {
    result = await fn();
    return result;
  } finally {
    scopes.end(result);
  }
}

/** Keeps a tensor alive past the end of the scopes it was created in. */
export function keep<T extends Tensor>(t: T): T {
  return engine().scopes.keep(t);
}

export function memory(): MemoryInfo {
  return engine().memory();
}
