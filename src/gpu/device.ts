// Turning a GPU (navigator.gpu in a browser, Dawn's in Node) into a device with the adapter's
// real limits and the optional features this library can use.

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (lavapipe, SwiftShader, ...) rather than a hardware GPU. */
  software: boolean;
  features: string[];
  limits: Record<string, number>;
}

export interface GpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  report: AdapterReport;
  hasF16: boolean;
  hasSubgroups: boolean;
  hasTimestamps: boolean;
  /** Wraps each call that makes the platform wait for the GPU (Node on CPU adapters: withThrottledPolling). */
  wrapWait?: <T>(fn: () => T) => T;
}

// The limits a tensor engine cares about; every other limit stays at its default.
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
] as const;

const WANTED_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

export class NoAdapterError extends Error {
  override name = 'NoAdapterError';
}

export async function createGpuContext(gpu: GPU | undefined, hint: string): Promise<GpuContext> {
  if (!gpu) throw new NoAdapterError(`WebGPU is not available here (no GPU object). ${hint}`);
  const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' }))
    ?? (await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions));
  if (!adapter) throw new NoAdapterError(`WebGPU found no adapter. ${hint}`);

  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'webgpu-bert' });

  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  const limits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) limits[name] = (device.limits as unknown as Record<string, number>)[name];
  const report: AdapterReport = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter)
      || /llvmpipe|lavapipe|swiftshader|software|microsoft basic/i.test(text),
    features: [...device.features].sort(),
    limits,
  };
  return {
    device, adapter, report,
    hasF16: device.features.has('shader-f16'),
    hasSubgroups: device.features.has('subgroups'),
    hasTimestamps: device.features.has('timestamp-query'),
  };
}

export function describeAdapter(r: AdapterReport): string {
  const name = r.description || r.device || r.vendor || 'unknown adapter';
  return `${name} (${r.software ? 'software' : 'hardware'}; vendor ${r.vendor || '?'}, architecture ${r.architecture || '?'})`;
}
