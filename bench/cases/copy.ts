// Memory bandwidth yardsticks. `copy` cases are plain WGSL copies: the engine's (shaders/copy.wgsl,
// one 32-bit word per invocation) and the fastest copy found on lavapipe, vec4s in a grid-stride
// loop over a few long workgroups (inline below; ~2x the one-vec4-per-invocation form there). The
// harness also runs that vec4 copy over each memory-bound case's bytes, interleaved with the case,
// and reports the case's bandwidth as a fraction of it. `memcpy` is copyBufferToBuffer, the
// driver's own copy, for context.
import { engine, ops, tensor, type Tensor } from '../../src/node.ts';
import type { BenchCase } from '../harness.ts';

const COPY_VEC4 = `
struct Params { n4: u32, stride: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < p.n4; i += p.stride) { y[i] = x[i]; }
}`;

export interface Bench {
  run(): void;
  check(): Promise<void>;
  dispose(): void;
}

/**
 * A vec4 copy of `bytes / 2` bytes (so `bytes` of traffic: read + write). Submits on its own, not
 * through engine.run: a bench-only shader does not belong in shaders/.
 */
export function vec4Copy(bytes: number): Bench {
  const e = engine();
  const n = Math.max(4, Math.ceil(bytes / 8 / 4) * 4);
  const host = Float32Array.from({ length: n }, (_, i) => i);
  const x = tensor(host);
  const y: Tensor = e.empty([n], 'f32');
  const groups = e.ctx.report.software ? 64 : Math.min(4096, Math.ceil(n / 4 / 64));
  const params = e.device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  e.device.queue.writeBuffer(params, 0, new Uint32Array([n / 4, groups * 64, 0, 0]));
  const module = e.device.createShaderModule({ code: COPY_VEC4 });
  const pipeline = e.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bindGroup = e.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: params } },
      { binding: 1, resource: { buffer: x.buffer, size: 4 * n } },
      { binding: 2, resource: { buffer: y.buffer, size: 4 * n } },
    ],
  });
  const run = () => {
    e.flush();
    const enc = e.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups);
    pass.end();
    e.device.queue.submit([enc.finish()]);
  };
  const bench = copyBench(run, host, x, y);
  return { ...bench, dispose: () => { bench.dispose(); params.destroy(); } };
}

/** run() copies x (holding `host`) into y; check() runs it once and compares samples. */
function copyBench(run: () => void, host: Float32Array, x: Tensor, y: Tensor): Bench {
  return {
    run,
    async check() {
      run();
      expectCopied(await y.data(), host);
    },
    dispose() {
      x.dispose();
      y.dispose();
    },
  };
}

function expectCopied(got: ArrayLike<number>, want: ArrayLike<number>): void {
  for (let i = 0; i < want.length; i += 997) if (got[i] !== want[i]) throw new Error(`copy differs at ${i}: ${got[i]} != ${want[i]}`);
  if (got[want.length - 1] !== want[want.length - 1]) throw new Error('copy misses the last element');
}

const MiB = 1024 * 1024;

const vec4Case = (mib: number): BenchCase => ({
  kernel: 'copy',
  shape: `${mib} MiB vec4 grid-stride`,
  work: { bytes: 2 * mib * MiB },
  timestamps: false,
  ours: async () => vec4Copy(2 * mib * MiB),
});

const engineCase = (mib: number): BenchCase => ({
  kernel: 'copy',
  shape: `${mib} MiB ops.copy`,
  work: { bytes: 2 * mib * MiB },
  async ours() {
    const host = Float32Array.from({ length: (mib * MiB) / 4 }, (_, i) => i);
    const x = tensor(host);
    return {
      run: () => ops.copy(x).dispose(),
      async check() {
        const y = ops.copy(x);
        expectCopied(await y.data(), host);
        y.dispose();
      },
      dispose: () => x.dispose(),
    };
  },
});

const memcpyCase = (mib: number): BenchCase => ({
  kernel: 'memcpy',
  shape: `${mib} MiB copyBufferToBuffer`,
  work: { bytes: 2 * mib * MiB },
  timestamps: false,
  async ours() {
    const e = engine();
    const host = Float32Array.from({ length: (mib * MiB) / 4 }, (_, i) => i);
    const x = tensor(host);
    const y: Tensor = e.empty([host.length], 'f32');
    const run = () => {
      e.flush();
      const enc = e.device.createCommandEncoder();
      enc.copyBufferToBuffer(x.buffer, 0, y.buffer, 0, mib * MiB);
      e.device.queue.submit([enc.finish()]);
    };
    return copyBench(run, host, x, y);
  },
});

export const cases: BenchCase[] = [engineCase(4), engineCase(64), vec4Case(4), vec4Case(64), memcpyCase(64)];
