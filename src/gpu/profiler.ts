// Per-dispatch GPU times from timestamp queries. While a profile runs, the engine gives every
// dispatch its own compute pass whose beginning and end are timestamped (a pass is the smallest
// unit WebGPU can time), so the figures include one pass boundary each: compare kernels with each
// other, and the sum with engine.gpuTime() of the same work.

import { Usage } from './pool.ts';

/** One kernel's share of a profiled piece of work. */
export interface KernelTime {
  /** The kernel's label (shader and entry point). */
  kernel: string;
  /** Dispatches of it. */
  count: number;
  /** GPU milliseconds, summed over its dispatches. */
  ms: number;
}

// Queries per set: the spec's limit is 4096 (two per dispatch).
const PER_SET = 2048;

export class DispatchProfiler {
  private readonly sets: GPUQuerySet[] = [];
  private readonly kernels: string[] = [];

  constructor(private readonly device: GPUDevice) {}

  /** The timestampWrites of the pass that will hold the next dispatch, of `kernel`. */
  next(kernel: string): GPUComputePassTimestampWrites {
    const slot = this.kernels.length % PER_SET;
    if (slot === 0) this.sets.push(this.device.createQuerySet({ type: 'timestamp', count: 2 * PER_SET }));
    this.kernels.push(kernel);
    return { querySet: this.sets[this.sets.length - 1], beginningOfPassWriteIndex: 2 * slot, endOfPassWriteIndex: 2 * slot + 1 };
  }

  /** Records the copies of every timestamp into a mappable buffer (the caller submits and maps it). */
  resolve(encoder: GPUCommandEncoder): GPUBuffer {
    const bytes = Math.max(16, this.kernels.length * 16);
    const resolved = this.device.createBuffer({ size: bytes, usage: Usage.QUERY_RESOLVE | Usage.COPY_SRC });
    const staging = this.device.createBuffer({ size: bytes, usage: Usage.MAP_READ | Usage.COPY_DST });
    this.sets.forEach((set, i) => {
      const count = 2 * Math.min(PER_SET, this.kernels.length - i * PER_SET);
      encoder.resolveQuerySet(set, 0, count, resolved, i * PER_SET * 16);
    });
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    this.trash.push(resolved);
    return staging;
  }

  /** Per-kernel totals from a mapped staging buffer, most expensive first; frees everything. */
  read(staging: GPUBuffer): KernelTime[] {
    const stamps = new BigInt64Array(staging.getMappedRange());
    const byKernel = new Map<string, KernelTime>();
    this.kernels.forEach((kernel, i) => {
      const ms = Math.max(0, Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6);
      const t = byKernel.get(kernel) ?? { kernel, count: 0, ms: 0 };
      t.count++;
      t.ms += ms;
      byKernel.set(kernel, t);
    });
    staging.unmap();
    staging.destroy();
    this.destroy();
    return [...byKernel.values()].sort((a, b) => b.ms - a.ms);
  }

  destroy(): void {
    for (const s of this.sets) s.destroy();
    for (const b of this.trash) b.destroy();
    this.sets.length = 0;
    this.trash.length = 0;
  }

  private readonly trash: GPUBuffer[] = [];
}
