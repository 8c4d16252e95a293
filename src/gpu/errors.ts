// Errors a person can act on: each names the op or kernel, and what was expected.

/** Bad arguments to an op: wrong shapes, dtypes, ranks, ranges. */
export class OpError extends Error {
  override name = 'OpError';
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
  }
}

/** A WGSL shader that does not compile; names the shader file and line. */
export class ShaderCompileError extends Error {
  override name = 'ShaderCompileError';
}

/** A WebGPU validation error, out-of-memory or device loss, attributed to the kernel that ran. */
export class GpuError extends Error {
  override name = 'GpuError';
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
