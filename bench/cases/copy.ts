// Memory bandwidth yardsticks. `copy` cases are plain WGSL copy kernels: the engine's
// (shaders/copy.wgsl, one 32-bit word per invocation) and a vec4 one (one 16-byte word per
// invocation, inline below). The harness reports every memory-bound kernel's GB/s as a fraction of
// the best `copy` result. `memcpy` is copyBufferToBuffer, the driver's own copy, for context.
import { engine, ops, tensor, type Tensor } from '../../src/node.ts';
import { grid } from '../../src/kernels/shape.ts';
import type { BenchCase } from '../harness.ts';

const COPY4 = `
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let i = g.x + g.y * n.x * 64u;
  if (i < arrayLength(&y)) { y[i] = x[i]; }
}`;

function copy4Case(mib: number): BenchCase {
  const n = (mib * 1024 * 1024) / 4;
  return {
    kernel: 'copy',
    shape: `${mib} MiB vec4`,
    work: { bytes: 2 * 4 * n },
    timestamps: false,
    async ours() {
      const e = engine();
      const host = Float32Array.from({ length: n }, (_, i) => i);
      const x = tensor(host);
      const y: Tensor = e.empty([n], 'f32');
      const module = e.device.createShaderModule({ code: COPY4 });
      const pipeline = e.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      const bindGroup = e.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: x.buffer, size: 4 * n } }, { binding: 1, resource: { buffer: y.buffer, size: 4 * n } }],
      });
      const [gx, gy] = grid(n / 4, 64);
      const run = () => {
        e.flush();
        const enc = e.device.createCommandEncoder();
        const pass = enc.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(gx, gy);
        pass.end();
        e.device.queue.submit([enc.finish()]);
      };
      return {
        run,
        async check() {
          run();
          const got = await y.data();
          for (let i = 0; i < n; i += 997) if (got[i] !== host[i]) throw new Error(`copy differs at ${i}: ${got[i]} != ${host[i]}`);
        },
        dispose: () => {
          x.dispose();
          y.dispose();
        },
      };
    },
  };
}

function copyCase(mib: number): BenchCase {
  const n = (mib * 1024 * 1024) / 4;
  return {
    kernel: 'copy',
    shape: `${mib} MiB`,
    work: { bytes: 2 * 4 * n },
    async ours() {
      const host = Float32Array.from({ length: n }, (_, i) => i);
      const x = tensor(host);
      return {
        run: () => ops.copy(x).dispose(),
        async check() {
          const y = ops.copy(x);
          const got = await y.data();
          y.dispose();
          for (let i = 0; i < n; i += 997) if (got[i] !== host[i]) throw new Error(`copy differs at ${i}: ${got[i]} != ${host[i]}`);
        },
        dispose: () => x.dispose(),
      };
    },
  };
}

function memcpyCase(mib: number): BenchCase {
  const n = (mib * 1024 * 1024) / 4;
  return {
    kernel: 'memcpy',
    shape: `${mib} MiB copyBufferToBuffer`,
    work: { bytes: 2 * 4 * n },
    timestamps: false,
    async ours() {
      const e = engine();
      const host = Float32Array.from({ length: n }, (_, i) => i);
      const x = tensor(host);
      const y: Tensor = e.empty([n], 'f32');
      const run = () => {
        e.flush();
        const enc = e.device.createCommandEncoder();
        enc.copyBufferToBuffer(x.buffer, 0, y.buffer, 0, 4 * n);
        e.device.queue.submit([enc.finish()]);
      };
      return {
        run,
        async check() {
          run();
          const got = await y.data();
          for (let i = 0; i < n; i += 997) if (got[i] !== host[i]) throw new Error(`memcpy differs at ${i}`);
        },
        dispose: () => {
          x.dispose();
          y.dispose();
        },
      };
    },
  };
}

export const cases: BenchCase[] = [copyCase(4), copyCase(64), copy4Case(4), copy4Case(64), memcpyCase(64)];
