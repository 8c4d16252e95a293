// The engine owns the device: pooled buffers, the pipeline cache, and the command batch that
// kernel launches are recorded into. Launches never wait; a download is the only thing that does.
// A kernel's first launch does not wait for its pipeline either: it compiles in the background
// (createComputePipelineAsync, several at once) while that launch and every later command wait,
// in order, in the backlog; each is recorded as soon as the pipelines before it are ready.
import { adapterTraits, chooseKernelClass, parseKernelClass, type AdapterTraits, type KernelClass } from './kernel-class.ts';
import { bytesPerElement, dtypeOfArray, isDType, f16BitsToF32, f32ToF16Bits, type DType, type HostArray } from './dtype.ts';
import { createGpuContext, describeAdapter, type GpuContext } from './device.ts';
import { GpuError, OpError, ShaderCompileError, shapeStr } from './errors.ts';
import { Guard, type GuardCheck } from './guard.ts';
import { Kernel, overrideKey, packUniforms, type KernelLayout, type Overrides } from './kernel.ts';
import { BufferPool, Usage } from './pool.ts';
import { Scopes } from './scope.ts';
import { DispatchProfiler, type KernelTime } from './profiler.ts';
import { Storage, Tensor, checkShape, sizeOf, type Shape } from './tensor.ts';

export interface Launch {
  /** Tensors (or raw buffers) by the WGSL variable name of their binding. */
  bindings: Record<string, Tensor | GPUBuffer>;
  /** Values for the uniform struct, by member name. */
  uniforms?: Record<string, number | ArrayLike<number>>;
  /** `override` constants (tile sizes, op codes); each distinct set is its own pipeline. */
  overrides?: Overrides;
  /** Workgroup counts [x, y, z]. */
  workgroups: readonly number[];
}

export interface MemoryInfo {
  liveTensors: number;
  bytesInUse: number;
  bytesPooled: number;
  /** The most bytes in use at once since the engine started or resetPeakMemory(). */
  peakBytesInUse: number;
  buffersCreated: number;
}

// Dispatches recorded before the batch is submitted, so the GPU starts while JS records more.
const MAX_BATCH = 128;
const UNIFORM_CHUNK = 64 * 1024;

// A guard read resolves to the OpError it found (it never rejects: nobody may be awaiting it yet).
interface PendingCheck { kernels: string[]; promise: Promise<GPUError | OpError | null> }
interface PendingGuard { staging: GPUBuffer; bytes: number; decode: (words: Uint32Array) => OpError | null }

/** A launch, checked and bound, ready to record once its pipeline exists. */
interface Dispatch {
  kind: 'dispatch';
  kernel: Kernel;
  key: string;
  entries: GPUBindGroupEntry[];
  /** The packed uniform struct and its binding number, if the kernel has one. */
  uniform: { binding: number; bytes: Uint8Array } | null;
  workgroups: [number, number, number];
}

/** What waits in the backlog while pipelines compile, in the order it was asked for. */
type Deferred =
  | Dispatch
  | { kind: 'write'; buffer: GPUBuffer; bytes: Uint8Array }
  | { kind: 'copy'; src: GPUBuffer; dst: GPUBuffer; bytes: number }
  | { kind: 'guard'; checks: GuardCheck[] };

export class Engine {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  readonly scopes = new Scopes();
  readonly guard: Guard;
  private guardReads: PendingGuard[] = [];
  private readPool: BufferPool;
  private liveTensors = 0;
  private creations: Tensor[][] = [];

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batchKernels: string[] = [];
  private batchId = 1;
  private lastUse = new WeakMap<GPUBuffer, number>();
  private timing = false;
  private profiler: DispatchProfiler | null = null;

  // Uniforms of the open batch go to 64 KiB chunks, written once just before submit.
  private uniformChunks: { gpu: GPUBuffer; cpu: ArrayBuffer }[] = [];
  private uniformChunk = 0;
  private uniformOffset = 0;
  private readonly uniformAlign: number;

  private modules = new Map<string, GPUShaderModule>();
  private layouts = new Map<string, GPUPipelineLayout>();
  private pipelines = new Map<string, GPUComputePipeline>();
  // First launches whose pipelines are compiling, and the commands recorded after them.
  private compiling = new Set<string>();
  private backlog: Deferred[] | null = null;
  private drainWaiters: (() => void)[] = [];
  private checks: PendingCheck[] = [];
  private stray: GPUError[] = [];
  private lostInfo: GPUDeviceLostInfo | null = null;
  private lastKernel = '(none)';
  private destroyed = false;

  /** What the kernel class depends on (see kernel-class.ts). */
  readonly traits: AdapterTraits;
  private kernelClass: KernelClass;

  constructor(readonly ctx: GpuContext, kernels?: KernelClass) {
    this.device = ctx.device;
    this.traits = adapterTraits(ctx.adapter.info, ctx.report.software, ctx.hasSubgroups);
    this.kernelClass = chooseKernelClass(this.traits, kernels);
    this.pool = new BufferPool(this.device);
    this.readPool = new BufferPool(this.device, Usage.MAP_READ | Usage.COPY_DST);
    this.guard = new Guard(this.device);
    this.uniformAlign = Math.max(16, this.device.limits.minUniformBufferOffsetAlignment);
    this.device.onuncapturederror = (e) => this.stray.push(e.error);
    this.device.lost.then((info) => {
      this.lostInfo = info;
    });
  }

  static async create(gpu: GPU | undefined, hint: string, kernels?: KernelClass): Promise<Engine> {
    const ctx = await createGpuContext(gpu, hint);
    try {
      return new Engine(ctx, kernels);
    } catch (e) {
      ctx.device.destroy();
      throw e;
    }
  }

  /** The family of kernels ops with variants run (kernel-class.ts). */
  get kernels(): KernelClass {
    return this.kernelClass;
  }

  /** Switches the kernel family ('auto': the adapter's own); tests and benchmarks compare them. */
  useKernels(kernels: KernelClass | 'auto'): void {
    this.kernelClass = chooseKernelClass(this.traits, parseKernelClass(kernels, 'useKernels()'));
  }

  get adapter(): string {
    return describeAdapter(this.ctx.report);
  }

  // ---------------------------------------------------------------- tensors

  /** A tensor with uninitialised contents, from the pool. */
  empty<D extends DType>(shape: Shape, dtype: D): Tensor<D> {
    checkShape('empty', shape);
    checkDType('empty', dtype);
    const bytes = Math.max(4, Math.ceil((sizeOf(shape) * bytesPerElement[dtype]) / 4) * 4);
    const max = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > max) {
      throw new OpError('alloc', `a ${dtype} tensor of shape ${shapeStr(shape)} needs ${bytes} bytes, more than this adapter's maxStorageBufferBindingSize (${max})`);
    }
    this.checkAlive('alloc');
    const storage = new Storage(this.pool.acquire(bytes), bytes);
    return this.adopt(new Tensor(this, [...shape], dtype, storage));
  }

  /** Uploads host values. Float32Array/number[] -> f32, Int32Array -> i32, Uint32Array -> u32, Uint16Array -> f16 bits. */
  tensor<D extends DType>(values: HostArray | readonly number[], shape?: Shape, dtype?: D): Tensor<D> {
    const dt = (dtype ?? (ArrayBuffer.isView(values) ? dtypeOfArray(values) : 'f32')) as D;
    checkDType('tensor', dt);
    if (!ArrayBuffer.isView(values) && !Array.isArray(values)) {
      throw new OpError('tensor', `values must be an array of numbers or a typed array, got ${describe(values)}`);
    }
    if (dt === 'i32' || dt === 'u32') checkIntegers(dt, values);
    else if (!ArrayBuffer.isView(values)) checkNumbers(values);
    const host = ArrayBuffer.isView(values) ? values : hostArrayFor(dt, values);
    const shp = shape ?? [host.length];
    checkShape('tensor', shp);
    if (sizeOf(shp) !== host.length) {
      throw new OpError('tensor', `${host.length} values do not fill shape ${shapeStr(shp)} (${sizeOf(shp)} elements)`);
    }
    const t = this.empty(shp, dt);
    this.write(t, host);
    return t;
  }

  /** Overwrites a tensor's contents from the host. */
  write(t: Tensor, host: HostArray): void {
    this.checkOwn('write', t);
    if (host.length !== t.size) throw new OpError('write', `${host.length} values for ${t} of ${t.size} elements`);
    const bytes = encodeHost(host, t.dtype);
    // Behind a backlog the write waits its turn (with its own copy: the caller may reuse `host`).
    if (this.backlog) this.backlog.push({ kind: 'write', buffer: t.buffer, bytes: bytes.slice() });
    else this.writeNow(t.buffer, bytes);
  }

  private writeNow(buffer: GPUBuffer, bytes: Uint8Array): void {
    // A pending dispatch may still read this pooled buffer's old contents: submit it first,
    // since writeBuffer lands before anything not yet submitted.
    if (this.encoder && this.lastUse.get(buffer) === this.batchId) this.submit();
    this.device.queue.writeBuffer(buffer, 0, bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Downloads a tensor; waits for every launch recorded before it. */
  async read(t: Tensor): Promise<Float32Array | Int32Array | Uint32Array> {
    this.checkOwn('read', t);
    this.checkAlive('read');
    const bytes = t.storage.bytes;
    const staging = this.readPool.acquire(bytes);
    this.harvestGuard();
    if (this.backlog) {
      // The copy takes its place in the backlog now: `t` may be disposed as soon as this returns.
      this.backlog.push({ kind: 'copy', src: t.buffer, dst: staging, bytes });
      await this.drained();
    } else {
      this.endPass();
      this.ensureEncoder().copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);
      this.submit();
    }
    try {
      await this.waitCall(() => staging.mapAsync(1 /* GPUMapMode.READ */, 0, bytes));
    } catch (e) {
      this.readPool.release(staging);
      await this.throwPendingErrors();
      throw new GpuError(`downloading ${t} failed: ${(e as Error).message}${this.lostSuffix()}`);
    }
    const raw = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    this.readPool.release(staging);
    await this.throwPendingErrors();
    return decodeHost(raw, t.dtype, t.size);
  }

  /** Registers a new tensor with the live count and the innermost scope. */
  adopt<T extends Tensor>(t: T): T {
    this.liveTensors++;
    this.scopes.track(t);
    for (const log of this.creations) log.push(t);
    return t;
  }

  /**
   * Runs `build`; if it throws, disposes every tensor it created, kept ones (parameters) included,
   * so a model that fails half-way through construction or loading leaves nothing allocated.
   */
  allOrNothing<T>(build: () => T): T {
    const log: Tensor[] = [];
    this.creations.push(log);
    try {
      return build();
    } catch (e) {
      for (const t of log) t.dispose();
      throw e;
    } finally {
      this.creations.splice(this.creations.indexOf(log), 1);
    }
  }

  /** Called by Tensor.dispose(). */
  release(t: Tensor): void {
    this.liveTensors--;
    this.scopes.untrack(t);
    if (--t.storage.refs === 0) this.pool.release(t.storage.buffer);
  }

  memory(): MemoryInfo {
    return { liveTensors: this.liveTensors, ...this.pool.stats() };
  }

  /** Starts a new peak-memory measurement (memory().peakBytesInUse) from what is in use now. */
  resetPeakMemory(): void {
    this.pool.resetPeak();
  }

  // ---------------------------------------------------------------- launching

  /** Whether the device has shader-f16, which every kernel with f16 activations needs. */
  get hasF16(): boolean {
    return this.ctx.hasF16;
  }

  run(kernel: Kernel, launch: Launch): void {
    this.checkAlive(kernel.label);
    if (kernel.act === 'f16' && !this.ctx.hasF16) {
      throw new OpError(kernel.label, `f16 activations need the WebGPU feature 'shader-f16', which this adapter (${[this.ctx.report.vendor, this.ctx.report.architecture, this.ctx.report.description].filter(Boolean).join(' ') || 'unnamed'}) does not offer: use dtype 'f32'`);
    }
    const layout = kernel.layout();
    for (const name of Object.keys(launch.overrides ?? {})) {
      if (!layout.overrides.has(name)) throw new OpError(kernel.label, `shader has no override constant '${name}'`);
    }
    const d = this.bind(kernel, layout, launch);
    // Timed and profiled launches are recorded where they are asked for (gpuTime and profile
    // empty the backlog first), so their pipelines are compiled on the spot.
    if (this.timing || this.profiler) {
      this.encode(d, this.pipeline(kernel, layout, launch.overrides, d.key));
      return;
    }
    if (!this.pipelines.has(d.key) && !this.compiling.has(d.key)) this.compile(kernel, layout, launch.overrides, d.key);
    if (this.backlog || this.compiling.has(d.key)) (this.backlog ??= []).push(d);
    else this.encode(d, this.pipelines.get(d.key)!);
  }

  /** Checks a launch against its kernel's WGSL and resolves its bindings (throws at the call, never later). */
  private bind(kernel: Kernel, layout: KernelLayout, launch: Launch): Dispatch {
    const entries: GPUBindGroupEntry[] = [];
    let uniform: Dispatch['uniform'] = null;
    const given = new Set(Object.keys(launch.bindings));
    const boundAs = new Map<GPUBuffer, string[]>();
    for (const b of layout.bindings) {
      if (b.kind === 'uniform') {
        given.delete(b.name);
        const bytes = new Uint8Array(layout.uniform!.size);
        packUniforms(kernel.label, layout.uniform!, launch.uniforms ?? {}, new DataView(bytes.buffer), 0);
        uniform = { binding: b.binding, bytes };
        continue;
      }
      const value = launch.bindings[b.name];
      if (!value) throw new OpError(kernel.label, `binding '${b.name}' was not given (kernel bindings: ${layout.bindings.map((x) => x.name).join(', ')})`);
      given.delete(b.name);
      if (value instanceof Tensor) this.checkOwn(kernel.label, value);
      const buffer = value instanceof Tensor ? value.buffer : value;
      const names = boundAs.get(buffer) ?? [];
      names.push(b.kind === 'read_write' ? `${b.name} (written)` : b.name);
      boundAs.set(buffer, names);
      // Whole buffers (pool sizes are multiples of 16 bytes), so vec4 views reach a tensor's last element.
      entries.push({ binding: b.binding, resource: { buffer, offset: 0, size: buffer.size } });
    }
    if (given.size) throw new OpError(kernel.label, `unknown binding(s) ${[...given].join(', ')}`);
    for (const names of boundAs.values()) {
      // WebGPU forbids a buffer that is written in a dispatch from being bound twice in it.
      if (names.length > 1 && names.some((n) => n.endsWith('(written)'))) {
        throw new OpError(kernel.label, `one tensor is bound as ${names.join(' and ')}; an output may not alias another binding`);
      }
    }
    const [x, y = 1, z = 1] = launch.workgroups;
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxDim || y > maxDim || z > maxDim) {
      throw new OpError(kernel.label, `dispatch of [${x}, ${y}, ${z}] workgroups exceeds the adapter's limit of ${maxDim} per dimension`);
    }
    const key = `${kernel.label}|${overrideKey(launch.overrides)}`;
    return { kind: 'dispatch', kernel, key, entries, uniform, workgroups: [x, y, z] };
  }

  /** Records a bound launch into the open pass. */
  private encode(d: Dispatch, pipeline: GPUComputePipeline): void {
    for (const e of d.entries) this.lastUse.set((e.resource as GPUBufferBinding).buffer, this.batchId);
    const entries = d.uniform ? [...d.entries, { binding: d.uniform.binding, resource: this.uniformSlot(d.uniform.bytes) }] : d.entries;
    // The batch's error scope is open before the bind group is made, so its errors name the kernel.
    this.ensureEncoder();
    const bindGroup = this.device.createBindGroup({ label: d.kernel.label, layout: pipeline.getBindGroupLayout(0), entries });
    if (this.profiler) {
      // A profiled dispatch gets a timestamped pass of its own.
      this.endPass();
      this.pass = this.ensureEncoder().beginComputePass({ timestampWrites: this.profiler.next(d.kernel.label) });
    }
    const pass = this.ensurePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...d.workgroups);
    if (this.profiler) this.endPass();
    this.batchKernels.push(d.kernel.label);
    this.lastKernel = d.kernel.label;
    if (!this.timing && this.batchKernels.length >= MAX_BATCH) this.submit();
  }

  /** Starts compiling a first launch's pipeline; the backlog moves on when it is ready (or failed). */
  private compile(kernel: Kernel, layout: KernelLayout, overrides: Overrides | undefined, key: string): void {
    const module = this.module(kernel, layout);
    const created = this.waitCall(() => this.device.createComputePipelineAsync(this.pipelineDescriptor(kernel, layout, module, overrides)));
    this.compiling.add(key);
    const failure = created.then(
      (pipeline) => { this.pipelines.set(key, pipeline); return null; },
      (err: GPUError) => err, // the launch is dropped; the error reaches the next download
    ).finally(() => {
      this.compiling.delete(key);
      this.pump();
    });
    this.watchCompile(kernel, layout, module, failure);
  }

  /** Records the backlog up to the first launch whose pipeline is still compiling, then submits. */
  private pump(): void {
    const queue = this.backlog;
    if (!queue || this.destroyed) return;
    let done = 0;
    try {
      for (const c of queue) {
        if (c.kind === 'dispatch') {
          if (this.compiling.has(c.key)) break;
          const pipeline = this.pipelines.get(c.key);
          if (pipeline) this.encode(c, pipeline);
        } else if (c.kind === 'write') {
          this.writeNow(c.buffer, c.bytes);
        } else if (c.kind === 'copy') {
          this.endPass();
          this.ensureEncoder().copyBufferToBuffer(c.src, 0, c.dst, 0, c.bytes);
        } else {
          this.harvestNow(c.checks);
        }
        done++;
      }
      this.submit();
    } catch (e) {
      // Recording failed (a lost device): what is left cannot run; the next download says why.
      done = queue.length;
      this.checks.push({ kernels: [this.lastKernel], promise: Promise.resolve(new OpError(this.lastKernel, (e as Error).message)) });
    }
    queue.splice(0, done);
    if (queue.length) return;
    this.backlog = null;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  /** Resolves when the backlog is empty: everything asked for so far is recorded and submitted. */
  private drained(): Promise<void> {
    return this.backlog ? new Promise((resolve) => this.drainWaiters.push(resolve)) : Promise.resolve();
  }

  /** Commands waiting for a first launch's pipeline to compile (0 when launches record at once). */
  get backlogSize(): number {
    return this.backlog?.length ?? 0;
  }

  /** Resolves when the GPU has run everything asked for so far (no download, no error check). */
  async finished(): Promise<void> {
    await this.drained();
    this.submit();
    await this.waitCall(() => this.device.queue.onSubmittedWorkDone());
  }

  /** Submits everything recorded so far (without waiting for it); a backlog submits as it drains. */
  flush(): void {
    if (!this.backlog) this.submit();
  }

  private submit(): void {
    if (!this.encoder) return;
    this.endPass();
    for (let i = 0; i <= this.uniformChunk && i < this.uniformChunks.length; i++) {
      const used = i < this.uniformChunk ? UNIFORM_CHUNK : this.uniformOffset;
      if (used) this.device.queue.writeBuffer(this.uniformChunks[i].gpu, 0, this.uniformChunks[i].cpu, 0, used);
    }
    this.device.queue.submit([this.encoder.finish()]);
    const kernels = this.batchKernels;
    const oom = this.waitCall(() => this.device.popErrorScope());
    const validation = this.waitCall(() => this.device.popErrorScope());
    this.checks.push({ kernels, promise: Promise.all([validation, oom]).then(([v, o]) => v ?? o) });
    for (const g of this.guardReads) this.checks.push({ kernels: ['guard'], promise: this.readGuard(g) });
    this.guardReads = [];
    this.encoder = null;
    this.batchKernels = [];
    this.batchId++;
    this.uniformChunk = 0;
    this.uniformOffset = 0;
  }

  /** Runs a call that starts a wait on the GPU (mapAsync, onSubmittedWorkDone, ...) through the platform's wrapper. */
  waitCall<T>(fn: () => T): T {
    return this.ctx.wrapWait ? this.ctx.wrapWait(fn) : fn();
  }

  /** Waits until the GPU has finished all submitted work; throws errors it reported. */
  async sync(): Promise<void> {
    await this.drained();
    this.harvestGuard();
    this.submit();
    await this.waitCall(() => this.device.queue.onSubmittedWorkDone());
    await this.throwPendingErrors();
  }

  /**
   * Runs `record` (which launches kernels) in one timed compute pass and returns the GPU time in
   * milliseconds from timestamp queries, or null when the adapter has no timestamp-query.
   */
  async gpuTime(record: () => void): Promise<number | null> {
    await this.drained();
    if (!this.ctx.hasTimestamps) {
      record();
      await this.sync();
      return null;
    }
    this.flush();
    const querySet = this.device.createQuerySet({ type: 'timestamp', count: 2 });
    const resolve = this.device.createBuffer({ size: 16, usage: Usage.QUERY_RESOLVE | Usage.COPY_SRC });
    const staging = this.device.createBuffer({ size: 16, usage: Usage.MAP_READ | Usage.COPY_DST });
    const encoder = this.ensureEncoder();
    this.pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    this.timing = true;
    try {
      record();
    } finally {
      this.timing = false;
    }
    this.endPass();
    encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, staging, 0, 16);
    this.flush();
    await this.waitCall(() => staging.mapAsync(1));
    const [t0, t1] = new BigInt64Array(staging.getMappedRange());
    const ms = Number(t1 - t0) / 1e6;
    staging.unmap();
    for (const b of [staging, resolve]) b.destroy();
    querySet.destroy();
    await this.throwPendingErrors();
    return ms;
  }

  /**
   * Runs `record` (which may await downloads) with every dispatch timed on its own, and returns
   * the GPU time per kernel, most expensive first, or null when the adapter has no timestamp-query.
   */
  async profile(record: () => void | Promise<void>): Promise<KernelTime[] | null> {
    if (!this.ctx.hasTimestamps) {
      await record();
      await this.sync();
      return null;
    }
    if (this.profiler) throw new Error('engine.profile: a profile is already running');
    await this.drained();
    this.submit();
    const profiler = new DispatchProfiler(this.device);
    this.profiler = profiler;
    try {
      await record();
    } catch (e) {
      profiler.destroy();
      throw e;
    } finally {
      this.profiler = null;
    }
    this.endPass();
    const staging = profiler.resolve(this.ensureEncoder());
    this.flush();
    await this.waitCall(() => staging.mapAsync(1));
    const times = profiler.read(staging);
    await this.throwPendingErrors();
    return times;
  }

  /**
   * A guard slot for one launch that checks values the host never saw (see src/gpu/guard.ts):
   * bind `guard` and pass `guard_slot` as a uniform. A bad value fails the next download.
   */
  guardSlot(check: GuardCheck): { guard: GPUBuffer; slot: number } {
    if (this.guard.full) this.harvestGuard();
    return { guard: this.guard.buffer, slot: this.guard.slot(check) };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.backlog = null;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
    this.guard.destroy();
    this.pool.trim();
    this.readPool.trim();
    this.device.destroy();
  }

  // ---------------------------------------------------------------- internals

  /** Records the copy-out and reset of the guard slots in use; they are read after the next submit. */
  private harvestGuard(): void {
    if (!this.guard.used) return;
    // The slots are free for new launches at once; their copy-out waits its turn behind a backlog.
    const checks = this.guard.take();
    if (this.backlog) this.backlog.push({ kind: 'guard', checks });
    else this.harvestNow(checks);
  }

  private harvestNow(checks: GuardCheck[]): void {
    this.endPass();
    const bytes = Guard.bytesOf(checks);
    const staging = this.readPool.acquire(bytes);
    const decode = this.guard.harvest(this.ensureEncoder(), staging, checks);
    this.guardReads.push({ staging, bytes, decode });
  }

  private async readGuard(g: PendingGuard): Promise<OpError | null> {
    let words: Uint32Array;
    try {
      await this.waitCall(() => g.staging.mapAsync(1 /* GPUMapMode.READ */, 0, g.bytes));
      words = new Uint32Array(g.staging.getMappedRange(0, g.bytes).slice(0));
      g.staging.unmap();
    } catch {
      return null; // a lost device is reported on its own
    } finally {
      this.readPool.release(g.staging);
    }
    return g.decode(words);
  }

  private ensureEncoder(): GPUCommandEncoder {
    if (!this.encoder) {
      // Errors of this batch are attributed to its kernels when it is submitted.
      this.device.pushErrorScope('validation');
      this.device.pushErrorScope('out-of-memory');
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  private ensurePass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.ensureEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** A slot for a packed uniform struct in the open batch's chunks (written to the GPU at submit). */
  private uniformSlot(bytes: Uint8Array): GPUBufferBinding {
    const slot = Math.ceil(bytes.byteLength / this.uniformAlign) * this.uniformAlign;
    if (this.uniformOffset + slot > UNIFORM_CHUNK) {
      this.uniformChunk++;
      this.uniformOffset = 0;
    }
    if (this.uniformChunk === this.uniformChunks.length) {
      this.uniformChunks.push({
        gpu: this.device.createBuffer({ size: UNIFORM_CHUNK, usage: Usage.UNIFORM | Usage.COPY_DST }),
        cpu: new ArrayBuffer(UNIFORM_CHUNK),
      });
    }
    const chunk = this.uniformChunks[this.uniformChunk];
    new Uint8Array(chunk.cpu, this.uniformOffset, bytes.byteLength).set(bytes);
    const binding = { buffer: chunk.gpu, offset: this.uniformOffset, size: bytes.byteLength };
    this.uniformOffset += slot;
    return binding;
  }

  /** The pipeline of a timed or profiled launch, compiled now if it has to be. */
  private pipeline(kernel: Kernel, layout: KernelLayout, overrides: Overrides | undefined, key: string): GPUComputePipeline {
    let pipeline = this.pipelines.get(key);
    if (pipeline) return pipeline;
    this.device.pushErrorScope('validation');
    const module = this.module(kernel, layout);
    pipeline = this.device.createComputePipeline(this.pipelineDescriptor(kernel, layout, module, overrides));
    this.watchCompile(kernel, layout, module, this.waitCall(() => this.device.popErrorScope()));
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  private pipelineDescriptor(kernel: Kernel, layout: KernelLayout, module: GPUShaderModule, overrides: Overrides | undefined): GPUComputePipelineDescriptor {
    const constants: Record<string, number> = {};
    for (const [k, v] of Object.entries(overrides ?? {})) constants[k] = Number(v);
    return { label: kernel.label, layout: this.pipelineLayout(kernel, layout), compute: { module, entryPoint: layout.entry, constants } };
  }

  /** Queues the check of a pipeline's compilation: WGSL errors by file and line, else WebGPU's error. */
  private watchCompile(kernel: Kernel, layout: KernelLayout, module: GPUShaderModule, error: Promise<GPUError | null>): void {
    const promise = this.compileError(kernel, layout, module, error);
    promise.catch(() => {}); // rejected before anyone awaits it is not "unhandled": the next download throws it
    this.checks.push({ kernels: [kernel.label], promise });
  }

  private module(kernel: Kernel, layout: KernelLayout): GPUShaderModule {
    let module = this.modules.get(kernel.module);
    if (!module) {
      module = this.device.createShaderModule({ label: `${kernel.shader}.wgsl`, code: layout.source.code });
      this.modules.set(kernel.module, module);
    }
    return module;
  }

  private pipelineLayout(kernel: Kernel, layout: KernelLayout): GPUPipelineLayout {
    let pl = this.layouts.get(kernel.label);
    if (!pl) {
      const entries: GPUBindGroupLayoutEntry[] = layout.bindings.map((b) => ({
        binding: b.binding,
        visibility: 4 /* GPUShaderStage.COMPUTE */,
        buffer: { type: b.kind === 'uniform' ? 'uniform' : b.kind === 'read' ? 'read-only-storage' : 'storage' },
      }));
      const bgl = this.device.createBindGroupLayout({ label: kernel.label, entries });
      pl = this.device.createPipelineLayout({ label: kernel.label, bindGroupLayouts: [bgl] });
      this.layouts.set(kernel.label, pl);
    }
    return pl;
  }

  /** Turns compiler messages into a ShaderCompileError naming shaders/<file>:<line>. */
  private async compileError(kernel: Kernel, layout: KernelLayout, module: GPUShaderModule, scope: Promise<GPUError | null>): Promise<GPUError | null> {
    const info = await this.waitCall(() => module.getCompilationInfo());
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) {
      const lines = errors.map((m) => {
        const where = layout.source.origin(m.lineNum);
        return `shaders/${where.file}:${where.line}:${m.linePos}: ${m.message}`;
      });
      this.pipelines.forEach((_, key) => key.startsWith(`${kernel.label}|`) && this.pipelines.delete(key));
      this.modules.delete(kernel.module);
      throw new ShaderCompileError(`kernel '${kernel.label}' failed to compile:\n${lines.join('\n')}`);
    }
    return scope;
  }

  private async throwPendingErrors(): Promise<void> {
    const checks = this.checks;
    this.checks = [];
    let first: Error | null = null;
    for (const c of checks) {
      try {
        const err = await c.promise;
        if (!err || first) continue;
        if (err instanceof OpError) first = err;
        else first = new GpuError(`${errorKind(err)} while running ${describeKernels(err.message, c.kernels)}: ${err.message}`);
      } catch (e) {
        if (!first) first = e as Error;
      }
    }
    const stray = this.stray.shift();
    this.stray = [];
    if (!first && stray) first = new GpuError(`${errorKind(stray)} (last kernel '${this.lastKernel}'): ${stray.message}`);
    if (first) throw first;
    if (this.lostInfo) throw new GpuError(`GPU device was lost${this.lostSuffix()}`);
  }

  /** A tensor of an earlier device (before shutdown() or a new init()) cannot be used on this one. */
  private checkOwn(what: string, t: Tensor): void {
    if (t.engine !== this) {
      throw new OpError(what, `${t} belongs to a GPU device that was shut down (shutdown() or a later init()); tensors do not move between devices: create it again after init()`);
    }
  }

  private checkAlive(what: string): void {
    if (this.destroyed) {
      throw new OpError(what, 'this tensor belongs to a GPU device that was shut down (shutdown() or a later init()); tensors do not move between devices: create it again after init()');
    }
    if (this.lostInfo || this.destroyed) {
      throw new GpuError(`${what}: GPU device was lost${this.lostSuffix()}. Call init() again for a new device.`);
    }
  }

  private lostSuffix(): string {
    if (!this.lostInfo && !this.destroyed) return '';
    const reason = this.lostInfo ? `${this.lostInfo.reason}: ${this.lostInfo.message}` : 'destroyed';
    return ` (${reason}; last kernel '${this.lastKernel}')`;
  }
}

function errorKind(e: GPUError): string {
  const name = e.constructor?.name ?? '';
  if (/OutOfMemory/i.test(name)) return 'GPU out of memory';
  if (/Internal/i.test(name)) return 'GPU internal error';
  return 'WebGPU validation error';
}

// Dawn's messages quote object labels ([BindGroup "matmul"]); every label is a kernel name.
function describeKernels(message: string, kernels: string[]): string {
  const named = kernels.filter((k) => message.includes(`"${k}"`));
  if (named.length) return `kernel '${named[0]}'`;
  const unique = [...new Set(kernels)];
  return unique.length === 1 ? `kernel '${unique[0]}'` : `a batch of kernels (${unique.join(', ')})`;
}

function checkDType(op: string, dtype: unknown): void {
  if (!isDType(dtype)) throw new OpError(op, `unknown dtype ${describe(dtype)}: use 'f32', 'f16', 'i32' or 'u32'`);
}

/** i32/u32 tensors hold integers in range: 1.5, NaN or 2**40 is an error, never a silent truncation. */
function checkIntegers(dtype: 'i32' | 'u32', values: ArrayLike<number>): void {
  if (values instanceof Int32Array || values instanceof Uint32Array) return;
  const [lo, hi] = dtype === 'i32' ? [-(2 ** 31), 2 ** 31 - 1] : [0, 2 ** 32 - 1];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new OpError('tensor', `value ${describe(v)} at index ${i} cannot be stored in an ${dtype} tensor (integers in [${lo}, ${hi}])`);
    }
  }
}

function checkNumbers(values: readonly unknown[]): void {
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number') throw new OpError('tensor', `value ${describe(values[i])} at index ${i} is not a number`);
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return (v as object).constructor?.name ?? typeof v;
}

function hostArrayFor(dtype: DType, values: readonly number[]): HostArray {
  if (dtype === 'i32') return Int32Array.from(values);
  if (dtype === 'u32') return Uint32Array.from(values);
  return Float32Array.from(values);
}

function encodeHost(host: HostArray, dtype: DType): Uint8Array {
  let out: ArrayBufferView;
  if (dtype === 'f16') {
    const bits = new Uint16Array(host.length + (host.length & 1));
    if (host instanceof Uint16Array) bits.set(host);
    else for (let i = 0; i < host.length; i++) bits[i] = f32ToF16Bits(host[i]);
    out = bits;
  } else if (dtype === 'f32') out = host instanceof Float32Array ? host : Float32Array.from(host);
  else if (dtype === 'i32') out = host instanceof Int32Array ? host : Int32Array.from(host);
  else out = host instanceof Uint32Array ? host : Uint32Array.from(host);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function decodeHost(raw: ArrayBuffer, dtype: DType, size: number): Float32Array | Int32Array | Uint32Array {
  if (dtype === 'f32') return new Float32Array(raw, 0, size);
  if (dtype === 'i32') return new Int32Array(raw, 0, size);
  if (dtype === 'u32') return new Uint32Array(raw, 0, size);
  const bits = new Uint16Array(raw, 0, size);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = f16BitsToF32(bits[i]);
  return out;
}
