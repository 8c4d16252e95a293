// A size-class pool of GPU storage buffers. Sizes round up to {4,5,6,7}/4 x 2^k bytes, so a
// reused buffer wastes at most 25%, and a training step that allocates the same shapes every
// step reaches a steady state where nothing new is created.

// The spec's GPUBufferUsage bits, spelled out so this module loads before any WebGPU globals exist.
export const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80, QUERY_RESOLVE: 0x200 } as const;
export const STORAGE_USAGE = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;

export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const k = Math.floor(Math.log2(bytes)) - 2;
  const quarter = 2 ** k;
  return Math.ceil(bytes / quarter) * quarter;
}

export interface PoolStats {
  /** Bytes in buffers handed out and not yet released. */
  bytesInUse: number;
  /** Bytes in buffers waiting in the pool for reuse. */
  bytesPooled: number;
  /** The most bytes in use at once since the pool was made or resetPeak() was called. */
  peakBytesInUse: number;
  buffersCreated: number;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private bytesInUse = 0;
  private bytesPooled = 0;
  private peakBytesInUse = 0;
  private buffersCreated = 0;

  constructor(private device: GPUDevice, private usage = STORAGE_USAGE) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (buffer) this.bytesPooled -= size;
    else {
      buffer = this.device.createBuffer({ size, usage: this.usage });
      this.buffersCreated++;
    }
    this.bytesInUse += size;
    this.peakBytesInUse = Math.max(this.peakBytesInUse, this.bytesInUse);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    this.bytesInUse -= size;
    this.bytesPooled += size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buffer);
  }

  /** Destroys every pooled buffer (the ones in use stay). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.bytesPooled = 0;
  }

  /** Starts a new peak measurement from what is in use now. */
  resetPeak(): void {
    this.peakBytesInUse = this.bytesInUse;
  }

  stats(): PoolStats {
    return { bytesInUse: this.bytesInUse, bytesPooled: this.bytesPooled, peakBytesInUse: this.peakBytesInUse, buffersCreated: this.buffersCreated };
  }
}
