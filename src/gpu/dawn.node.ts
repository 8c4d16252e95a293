// WebGPU in Node through Dawn (npm `webgpu`). On a machine without a GPU, Dawn's Vulkan backend
// needs a software Vulkan driver; this module finds one by itself (lavapipe first, SwiftShader
// second) so users set no environment variable. It is the only GPU module that touches Node.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ShaderLoader } from './shaders.ts';
import { packageFolder } from '../util/package-root.node.ts';

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
 * Dawn's Node binding waits for GPU work (onSubmittedWorkDone, mapAsync, popErrorScope, ...) by
 * re-queuing wgpuInstanceProcessEvents with the global setImmediate for as long as any promise is
 * pending (AsyncRunner::ScheduleProcessEvents, crbug.com/dawn/1127): the JS thread spins at 100%
 * during every wait. On a CPU adapter that thread competes with the driver's compute threads
 * (2 cores, lavapipe: a 2048x3072x3072 matmul ran at 18.9 GFLOP/s with the spin, 29.0 without;
 * bench/README.md).
 *
 * `withThrottledPolling(fn)` runs a call into Dawn that may start that loop with `setImmediate`
 * swapped, for the duration of the synchronous call only, for one that sends native callbacks
 * (Dawn's) through setTimeout(cb, 0) (a poll about every millisecond) and each such callback runs
 * inside the same swap, so the loop it continues stays throttled (after a first millisecond of full-speed
 * polling, so short waits keep their latency). JS callbacks go to the real
 * setImmediate. Outside these synchronous windows the global is the original: user code and other
 * WebGPU libraries in the process never see the change (their own waits poll as Dawn does).
 */
export function withThrottledPolling<T>(fn: () => T): T {
  waitStart = performance.now();
  return swapped(fn);
}

// A wait shorter than SPIN_MS polls at full speed (setImmediate), so short round trips keep their
// latency; past it, once a millisecond. Measured in bench/dawn-polling.ts.
const SPIN_MS = 1;
let waitStart = 0;
const realImmediate = globalThis.setImmediate;
const isNative = (fn: unknown) => typeof fn === 'function' && Function.prototype.toString.call(fn).includes('[native code]');
const throttledImmediate = Object.assign(
  (cb: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (!isNative(cb)) return realImmediate(cb, ...args);
    const poll = () => swapped(() => cb(...args));
    return performance.now() - waitStart < SPIN_MS ? realImmediate(poll) : setTimeout(poll, 0);
  },
  realImmediate,
) as unknown as typeof setImmediate;

function swapped<T>(fn: () => T): T {
  const g = globalThis as { setImmediate: typeof setImmediate };
  const real = g.setImmediate;
  if (real === throttledImmediate) return fn(); // already inside a window
  g.setImmediate = throttledImmediate;
  try {
    return fn();
  } finally {
    g.setImmediate = real;
  }
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
  const root = packageFolder('shaders');
  if (!root) throw new Error(`webgpu-bert: cannot find the shaders/ folder above ${fileURLToPath(import.meta.url)}`);
  return (file) => {
    const path = join(root, file);
    if (!existsSync(path)) throw new Error(`Shader file not found: ${path}`);
    return readFileSync(path, 'utf8');
  };
}
