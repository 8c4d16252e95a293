// WebGPU in Node through Dawn (npm `webgpu`). On a machine without a GPU, Dawn's Vulkan backend
// needs a software Vulkan driver; this module finds one by itself (lavapipe first, SwiftShader
// second) so users set no environment variable. It is the only GPU module that touches Node.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ShaderLoader } from './shaders.ts';

const SOFTWARE_DRIVERS = [
  '/usr/share/vulkan/icd.d/lvp_icd.json',
  '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json',
  '/usr/share/vulkan/icd.d/lvp_icd.aarch64.json',
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

export const SETUP_HINT =
  'Dawn runs WebGPU on Vulkan and found no working Vulkan driver. On a machine without a GPU, install the ' +
  'software driver with `npm run setup` (Mesa lavapipe from Debian bookworm-backports; SwiftShader from chromium as fallback).';

type DawnModule = { create(flags: string[]): GPU; globals: Record<string, unknown> };

// Dawn keeps the process alive while a GPU object is referenced; shutdown() drops it.
let held: GPU | null = null;

/** A GPU with a usable adapter: the default Vulkan driver, or else a software one found on disk. */
export async function nodeGpu(): Promise<GPU> {
  const dawn = (await import('webgpu')) as unknown as DawnModule;
  Object.assign(globalThis, dawn.globals);
  let gpu = dawn.create([]);
  const userChoice = process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES;
  if (userChoice || (await gpu.requestAdapter())) return (held = gpu);
  for (const icd of SOFTWARE_DRIVERS.filter((p) => existsSync(p))) {
    process.env.VK_ICD_FILENAMES = icd;
    gpu = dawn.create([]);
    if (await gpu.requestAdapter()) return (held = gpu);
  }
  delete process.env.VK_ICD_FILENAMES;
  return (held = gpu);
}

/**
 * Dawn's Node binding waits for GPU work (onSubmittedWorkDone, mapAsync, ...) by re-queuing
 * wgpuInstanceProcessEvents with the global setImmediate for as long as any promise is pending
 * (AsyncRunner::ScheduleProcessEvents, crbug.com/dawn/1127): the JS thread spins at 100% during
 * every wait. On a CPU adapter that thread competes with the driver's compute threads; measured on
 * 2 cores with lavapipe, a 2048x3072x3072 matmul ran at 18.9 GFLOP/s with the spin and 29.0 without
 * (bench/README.md). This routes setImmediate calls whose callback is a native function (Dawn's)
 * through setTimeout(fn, 0), i.e. a poll about every millisecond; JS callbacks keep the real
 * setImmediate. Idempotent. Worth it on CPU adapters, where a wait is rarely shorter than a few ms.
 */
export function throttleDawnPolling(): void {
  const g = globalThis as { setImmediate: typeof setImmediate; __webgpuBertThrottled?: boolean };
  if (g.__webgpuBertThrottled) return;
  g.__webgpuBertThrottled = true;
  const immediate = g.setImmediate;
  const isNative = (fn: unknown) => typeof fn === 'function' && Function.prototype.toString.call(fn).includes('[native code]');
  const throttled = (fn: (...args: unknown[]) => void, ...args: unknown[]) =>
    isNative(fn) ? setTimeout(fn, 0, ...args) : immediate(fn, ...args);
  g.setImmediate = Object.assign(throttled, immediate) as unknown as typeof setImmediate;
}

/** The GPU object nodeGpu() returned (null before init or after shutdown): lets another WebGPU
 * library in the same process, e.g. a benchmark peer, request its own adapter from the same Dawn
 * instance and driver. */
export function heldNodeGpu(): GPU | null {
  return held;
}

export function releaseNodeGpu(): void {
  held = null;
}

/** Reads shaders/<file> from the package on disk (from src/gpu/ in the repo, or dist/ when built). */
export function diskShaderLoader(): ShaderLoader {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'shaders'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`webgpu-bert: cannot find the shaders/ folder above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  const root = join(dir, 'shaders');
  return (file) => {
    const path = join(root, file);
    if (!existsSync(path)) throw new Error(`Shader file not found: ${path}`);
    return readFileSync(path, 'utf8');
  };
}
