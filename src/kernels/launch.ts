// Launch-shape helpers shared by the training kernels (gelu, layernorm, softmax, cross_entropy,
// embedding, adamw).
import { engine } from '../gpu/runtime.ts';

/**
 * Workgroups for a grid-stride loop over `items`. A software adapter (lavapipe, SwiftShader) runs
 * workgroups one after another on a few CPU threads and pays a fixed cost per workgroup, so it
 * gets a few long-running groups; a hardware GPU gets enough groups to fill every core.
 */
export function strideGroups(items: number, wg: number): number {
  const cap = engine().ctx.report.software ? 64 : 4096;
  return Math.max(1, Math.min(cap, Math.ceil(items / wg)));
}

/** Rows dispatched one workgroup each, folded into 2-D past the 65535 limit; the shader uses row = wid.x + wid.y * nwg.x. */
export function rowGrid(rows: number): [number, number] {
  const max = 65535;
  if (rows <= max) return [Math.max(1, rows), 1];
  return [max, Math.ceil(rows / max)];
}
