// The benchmark's peers: TensorFlow.js 4.22 on WebGPU through the same Dawn GPU object as ours (so
// the same driver and adapter), and on WebAssembly (XNNPACK, SIMD) as the CPU reference.
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { heldNodeGpu } from '../src/gpu/dawn.node.ts';

export type Tf = typeof import('@tensorflow/tfjs-core');

export interface Peer {
  name: 'webgpu' | 'wasm';
  tf: Tf;
  /** Waits until everything `result` depends on has run. */
  sync(result: unknown): Promise<void>;
}

/** The parts of tfjs-backend-webgpu's WebGPUBackend that a sync needs. */
interface TfjsWebgpuBackend {
  device?: GPUDevice;
  submitQueue?(): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
}

/**
 * tfjs-core's Node entry registers no gradients (the backward peers use tf.grad), and its ESM
 * gradient files import without extensions, which Node cannot resolve: esbuild bundles them once into
 * a temp file. Gradients register in a registry on the global object, so they reach the tfjs-core
 * instance the benchmark imported.
 */
async function registerGradients(): Promise<void> {
  const { build } = await import('esbuild');
  const out = join(tmpdir(), 'webgpu-bert-tfjs-gradients.mjs');
  await build({ entryPoints: ['@tensorflow/tfjs-core/dist/register_all_gradients.js'], bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'error' });
  await import(pathToFileURL(out).href);
}

/** tfjs-core with the webgpu backend on our Dawn GPU object and the wasm backend from node_modules. */
export async function setupPeers(): Promise<{ peers: Peer[]; notes: string[] }> {
  const notes: string[] = [];
  const gpu = heldNodeGpu();
  // tfjs-backend-webgpu registers itself at import only when navigator.gpu exists.
  if (gpu) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const tf = (await import('@tensorflow/tfjs-core')) as Tf;
  await registerGradients();
  await import('@tensorflow/tfjs-backend-webgpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  const peers: Peer[] = [];
  for (const name of ['webgpu', 'wasm'] as const) {
    try {
      if (!(await tf.setBackend(name))) throw new Error('setBackend returned false');
      await tf.ready();
      peers.push({ name, tf, sync: name === 'webgpu' ? () => syncWebgpu(tf) : async (r) => syncWasm(r) });
      if (name === 'wasm') notes.push(`tfjs-wasm: SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}`);
    } catch (e) {
      notes.push(`tfjs-${name} unavailable: ${(e as Error).message}`);
    }
  }
  return { peers, notes };
}

/** What tfjs-webgpu itself does before a submit (close the open pass), then a wait for the queue. */
async function syncWebgpu(tf: Tf): Promise<void> {
  const backend = tf.backend() as unknown as TfjsWebgpuBackend;
  if (!backend.submitQueue || !backend.device) throw new Error('tfjs-webgpu backend internals changed: cannot sync');
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

/** wasm runs synchronously; reading one value makes sure nothing is deferred. */
function syncWasm(result: unknown): void {
  const t = Array.isArray(result) ? result[0] : result;
  if (t && typeof (t as { dataSync?: unknown }).dataSync === 'function') (t as { dataSync(): unknown }).dataSync();
}
