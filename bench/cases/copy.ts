// Memory bandwidth yardsticks. `copy` cases are plain WGSL copies: the engine's (shaders/copy.wgsl,
// one 32-bit word per invocation) and the fastest copy found on lavapipe, vec4s in a grid-stride
// loop over a few long workgroups (inline below; ~2x the one-vec4-per-invocation form there). The
// harness also runs that vec4 copy over each memory-bound case's bytes, interleaved with the case,
// and reports the case's bandwidth as a fraction of it. `memcpy` is copyBufferToBuffer, the
// driver's own copy, for context. `probe` cases are the same pass with one thing added (an add, an
// exp, a second or third read per element): what each costs against the copy, on this adapter.
import { engine, ops, tensor, type Tensor } from '../../src/node.ts';
import { TOL, mismatchReport } from '../../test/util/tolerance.ts';
import type { BenchCase } from '../harness.ts';

/** A grid-stride pass over vec4s: `y[i] = <expr>` of `x[i]` (and neighbours). */
const PASS = (expr: string) => `
struct Params { n4: u32, stride: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < p.n4; i += p.stride) { y[i] = ${expr}; }
}`;

export interface Bench {
  run(): void;
  check(): Promise<void>;
  dispose(): void;
}

/**
 * A vec4 pass over `bytes / 2` bytes of input (so `bytes` of traffic: read + write), computing
 * `expr` (WGSL) and checked against `ref` (the output for the input x[i] = i or, with `wrap`,
 * (i % 1024) / 256, small enough for exp). Submits on its own, not through engine.run: a bench-only shader does
 * not belong in shaders/.
 */
function vec4Pass(bytes: number, expr: string, ref: (x: Float32Array) => Float32Array, wrap = false): Bench {
  const e = engine();
  const n = Math.max(4, Math.ceil(bytes / 8 / 4) * 4);
  const host = Float32Array.from({ length: n }, (_, i) => (wrap ? (i % 1024) / 256 : i));
  const x = tensor(host);
  const y: Tensor = e.empty([n], 'f32');
  const groups = e.ctx.report.software ? 64 : Math.min(4096, Math.ceil(n / 4 / 64));
  const params = e.device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  e.device.queue.writeBuffer(params, 0, new Uint32Array([n / 4, groups * 64, 0, 0]));
  const module = e.device.createShaderModule({ code: PASS(expr) });
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
  const bench = copyBench(run, ref(host), x, y);
  return { ...bench, dispose: () => { bench.dispose(); params.destroy(); } };
}

/** The bandwidth yardstick: a vec4 copy of `bytes / 2` bytes. */
export const vec4Copy = (bytes: number): Bench => vec4Pass(bytes, 'x[i]', (x) => x);

/** run() writes `want` into y (from x); check() runs it once and compares samples. */
function copyBench(run: () => void, want: Float32Array, x: Tensor, y: Tensor): Bench {
  return {
    run,
    async check() {
      run();
      expectCopied(await y.data(), want);
    },
    dispose() {
      x.dispose();
      y.dispose();
    },
  };
}

function expectCopied(got: ArrayLike<number>, want: ArrayLike<number>): void {
  const idx = Array.from({ length: Math.ceil(want.length / 997) }, (_, k) => k * 997).concat(want.length - 1);
  const report = mismatchReport(idx.map((i) => got[i]), idx.map((i) => want[i]), TOL.transcendental);
  if (report) throw new Error(`sampled outputs: ${report}`);
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

/** x[i + d] of a host vec4 array viewed as floats (wrapping), for the probes' references. */
const shifted = (x: Float32Array, d: number) => Float32Array.from(x, (_, i) => x[(i + 4 * d) % x.length]);
const add = (a: Float32Array, b: Float32Array) => a.map((v, i) => v + b[i]);

const PROBES: { label: string; expr: string; ref(x: Float32Array): Float32Array; wrap?: boolean }[] = [
  { label: 'y = x + 1', expr: 'x[i] + 1.0', ref: (x) => x.map((v) => v + 1) },
  { label: 'y = exp(x)', expr: 'exp(x[i])', ref: (x) => x.map(Math.exp), wrap: true },
  // exp(x - c), the form the kernels use (x - max): on lavapipe 25.0 it costs a fraction of the plain exp(x[i]) above.
  { label: 'y = exp(x - 4)', expr: 'exp(x[i] - 4.0)', ref: (x) => x.map((v) => Math.exp(v - 4)), wrap: true },
  { label: 'y = x[i] + x[i+1] (2 reads)', expr: 'x[i] + x[(i + 1u) % p.n4]', ref: (x) => add(x, shifted(x, 1)) },
  { label: 'y = x[i] + x[i+1] + x[i+2] (3 reads)', expr: 'x[i] + x[(i + 1u) % p.n4] + x[(i + 2u) % p.n4]', ref: (x) => add(add(x, shifted(x, 1)), shifted(x, 2)) },
];

const probeCase = (mib: number, p: (typeof PROBES)[number]): BenchCase => ({
  kernel: 'probe',
  shape: `${mib} MiB vec4 grid-stride, ${p.label}`,
  work: { bytes: 2 * mib * MiB },
  timestamps: false,
  ours: async () => vec4Pass(2 * mib * MiB, p.expr, p.ref, p.wrap),
});

export const cases: BenchCase[] = [
  engineCase(4), engineCase(64), vec4Case(4), vec4Case(64), memcpyCase(64),
  ...PROBES.map((p) => probeCase(16, p)),
];
