// Runs the training-kernel bench cases (layernorm, gelu, softmax, cross_entropy, embedding, adamw)
// with two yardsticks next to each: a copy of the same number of bytes on the same adapter (the
// memory-bound target is >= 50% of it), and TensorFlow.js on webgpu (same Dawn adapter) and wasm.
//   node --import ./scripts/register-ts.mjs bench/training_kernels.ts [filter] [--no-tfjs] [--json out.json]
// Every case is checked before it is timed. GPU times come from timestamp queries; wall times
// (launch + wait) are the common measure against tfjs. Medians after warm-up.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { engine, init, shutdown } from '../src/node.ts';
import { Kernel } from '../src/gpu/kernel.ts';
import { setShaderLoader } from '../src/gpu/shaders.ts';
import { diskShaderLoader } from '../src/gpu/dawn.node.ts';
import { copy } from '../src/kernels/fill.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import type { BenchCase } from './bench_case.ts';

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonOut = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
const filter = args.find((a, i) => !a.startsWith('--') && (jsonAt < 0 || i !== jsonAt + 1)) ?? '';
const withTfjs = !args.includes('--no-tfjs');
const REPS = Number(process.env.BENCH_REPS ?? 7);

const modules = ['layernorm', 'gelu', 'softmax', 'cross_entropy', 'embedding', 'adamw'];
const cases: BenchCase[] = [];
for (const m of modules) cases.push(...((await import(`./cases/${m}.ts`)) as { cases: BenchCase[] }).cases);
const selected = cases.filter((c) => `${c.kernel} ${c.shape}`.includes(filter));

const e = await init();
// The best copy this adapter runs: vec4s in a grid-stride loop (ops.copy moves one word per invocation).
const disk = diskShaderLoader();
const COPY_VEC4 = `struct P { n4: u32, stride: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < p.n4; i += p.stride) { y[i] = x[i]; }
}`;
setShaderLoader((f) => (f === 'bench_copy_vec4.wgsl' ? COPY_VEC4 : disk(f)));
const copyVec4 = new Kernel({ shader: 'bench_copy_vec4' });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function wallMs(record: () => void | Promise<unknown>, reps = REPS): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await record();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/**
 * GPU ms of `record`, of ops.copy and of the vec4 copy over `bytes / 2` bytes (read + write =
 * bytes), measured interleaved (one of each per round) so that load from other processes on a
 * shared machine hits all three alike.
 */
async function timeWithCopies(record: () => void, bytes: number): Promise<{ ours: number; copy: number; copyVec4: number }> {
  const n = Math.max(4, Math.ceil(bytes / 8 / 4) * 4);
  const x = e.tensor(new Float32Array(n).fill(1));
  const y = e.empty([n], 'f32');
  const n4 = n / 4;
  const groups = e.ctx.report.software ? 64 : Math.min(4096, Math.ceil(n4 / 64));
  const runVec4 = () => e.run(copyVec4, { bindings: { x, y }, uniforms: { n4, stride: groups * 64 }, workgroups: [groups] });
  const runCopy = () => copy(x).dispose();
  runVec4();
  runCopy();
  await e.sync();
  const t = { ours: [] as number[], copy: [] as number[], copyVec4: [] as number[] };
  for (let i = 0; i < REPS; i++) {
    t.ours.push((await e.gpuTime(record)) ?? NaN);
    if (bytes) {
      t.copy.push((await e.gpuTime(runCopy)) ?? NaN);
      t.copyVec4.push((await e.gpuTime(runVec4)) ?? NaN);
    }
  }
  x.dispose();
  y.dispose();
  return { ours: median(t.ours), copy: bytes ? median(t.copy) : NaN, copyVec4: bytes ? median(t.copyVec4) : NaN };
}

type TF = typeof import('@tensorflow/tfjs-core');

/**
 * tfjs-core's Node bundle registers no gradients, and its ESM gradient files use extensionless
 * imports Node cannot resolve: esbuild bundles them once into a temp file. Gradients live in a
 * registry on the global object, so they reach the tfjs-core instance the benchmark uses.
 */
async function tfjsGradients(): Promise<string> {
  const { build } = await import('esbuild');
  const out = join(tmpdir(), 'webgpu-bert-tfjs-gradients.mjs');
  await build({ entryPoints: ['@tensorflow/tfjs-core/dist/register_all_gradients.js'], bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'error' });
  return pathToFileURL(out).href;
}
let tf: TF | null = null;
if (withTfjs) {
  const dawn = (await import('webgpu')) as unknown as { create(f: string[]): GPU; globals: object };
  Object.assign(globalThis, dawn.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawn.create([]) }, configurable: true });
  tf = await import('@tensorflow/tfjs-core');
  await import(await tfjsGradients());
  await import('@tensorflow/tfjs-backend-webgpu');
  await import('@tensorflow/tfjs-backend-wasm');
}

async function tfjsMs(c: BenchCase, backend: string): Promise<number | null> {
  if (!tf || !c.tfjs) return null;
  try {
    if (!(await tf.setBackend(backend))) return null;
    await tf.ready();
    const peer = c.tfjs(tf);
    const once = async () => {
      const out = peer.run();
      const ts = (Array.isArray(out) ? out : [out]) as { data(): Promise<unknown>; dispose(): void }[];
      await Promise.all(ts.map((t) => t.data()));
      tf!.dispose(ts as never);
    };
    await once();
    await once();
    const ms = await wallMs(once, Math.min(REPS, 5));
    peer.dispose();
    return ms;
  } catch (err) {
    console.error(`tfjs ${backend} failed on ${c.kernel} ${c.shape}: ${(err as Error).message}`);
    return null;
  }
}

const rows: Record<string, unknown>[] = [];
console.log(`adapter: ${e.adapter}`);
console.log('| kernel | shape | ours GPU ms | GB/s | vs ops.copy | vs vec4 copy | ours wall ms | tfjs-webgpu ms | x | tfjs-wasm ms | x |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const c of selected) {
  let ours: Awaited<ReturnType<BenchCase['ours']>>;
  try {
    ours = await c.ours();
  } catch (err) {
    // A shape this adapter cannot hold in one binding (lavapipe: 128 MiB) is reported, not fatal.
    if (!/maxStorageBufferBindingSize/.test((err as Error).message)) throw err;
    console.log(`| ${c.kernel} | ${c.shape} | skipped: ${(err as Error).message.replace(/^alloc: /, '')} |`);
    rows.push({ kernel: c.kernel, shape: c.shape, skipped: (err as Error).message });
    continue;
  }
  await ours.check();
  ours.run();
  ours.run();
  await e.sync();
  const bytes = c.work.bytes ?? 0;
  const timed = await timeWithCopies(() => ours.run(), bytes);
  const gpu = timed.ours;
  const wall = await wallMs(async () => {
    ours.run();
    await e.sync();
  });
  await ours.check(); // still right after the timed runs
  ours.dispose();
  const gbs = bytes / gpu / 1e6;
  const copyGbs = bytes / timed.copy / 1e6;
  const vec4Gbs = bytes / timed.copyVec4 / 1e6;
  const tw = await tfjsMs(c, 'webgpu');
  const ta = await tfjsMs(c, 'wasm');
  const f = (x: number | null, d = 2) => (x === null || Number.isNaN(x) ? '-' : x.toFixed(d));
  console.log(`| ${c.kernel} | ${c.shape} | ${f(gpu)} | ${f(gbs)} | ${f(gbs / copyGbs)} | ${f(gbs / vec4Gbs)} | ${f(wall)} | ${f(tw)} | ${f(tw && tw / wall)} | ${f(ta)} | ${f(ta && ta / wall)} |`);
  rows.push({ kernel: c.kernel, shape: c.shape, bytes, gpuMs: gpu, gbs, copyGbs, vec4CopyGbs: vec4Gbs, wallMs: wall, tfjsWebgpuMs: tw, tfjsWasmMs: ta });
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ adapter: e.adapter, date: new Date().toISOString(), rows }, null, 2));
engine().pool.trim();
shutdown();
process.exit(0);
