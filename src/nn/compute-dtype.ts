// The float type a model computes in: activations (and their gradients) stored as f32 or f16.
// Weights, optimizer state, LayerNorm / softmax statistics and every sum stay f32 (kernels
// convert as they load and store), so f16 halves activation memory and traffic while the
// arithmetic keeps f32 accuracy; only what is stored is rounded.
import type { FloatDType } from '../gpu/dtype.ts';
import type { Engine } from '../gpu/engine.ts';
import { engine } from '../gpu/runtime.ts';

/** 'auto' is f16 on a GPU (hardware kernel class) with shader-f16, else f32. */
export type ComputeDType = FloatDType | 'auto';

/** The concrete type for an option, checking the adapter can run it; `where` names the caller in errors. */
export function resolveDType(option: ComputeDType | undefined, where: string, e: Engine = engine()): FloatDType {
  if (option === undefined || option === 'f32') return 'f32';
  if (option === 'auto') return e.hasF16 && e.kernels === 'hardware' ? 'f16' : 'f32';
  if (option !== 'f16') throw new Error(`${where}: dtype must be 'f32', 'f16' or 'auto', got ${JSON.stringify(option)}`);
  if (!e.hasF16) {
    throw new Error(`${where}: dtype 'f16' needs the WebGPU feature 'shader-f16', which this adapter (${e.adapter}) does not offer: use 'f32' (or 'auto', which picks f16 only where it runs)`);
  }
  return 'f16';
}
