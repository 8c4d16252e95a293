// LayerNorm over the last axis, forward and backward (shaders/layernorm.wgsl).
import type { FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { foldGroups, rowGroups, rowLayout, softwareAdapter, type RowLayout } from './launch.ts';
import { expectDType, expectFloat } from './shape.ts';

const forwardKernel = new Kernel({ shader: 'layernorm', entry: 'forward' });
const forwardVec4Kernel = new Kernel({ shader: 'layernorm', entry: 'forward_vec4' });
const dxKernel = new Kernel({ shader: 'layernorm', entry: 'backward_dx' });
const dxVec4Kernel = new Kernel({ shader: 'layernorm', entry: 'backward_dx_vec4' });
const paramsKernel = new Kernel({ shader: 'layernorm', entry: 'backward_params' });
const paramsVec4Kernel = new Kernel({ shader: 'layernorm', entry: 'backward_params_vec4' });
const columnsKernel = new Kernel({ shader: 'layernorm', entry: 'columns' });
const COLUMN_WG = 64;

// x, y, dy and dx are activations (f32 or f16, one type per call); gamma, beta, the statistics
// and the parameter gradients are f32, and every sum is accumulated in f32.
export interface LayerNormResult {
  y: Tensor<FloatDType>;  // (..., C), x's float type
  mean: Tensor<'f32'>;    // (rows) = prod of the leading dims
  rstd: Tensor<'f32'>;    // (rows): 1 / sqrt(var + eps)
}

export interface LayerNormGrads {
  dx: Tensor<FloatDType>;  // (..., C), x's float type
  dgamma: Tensor<'f32'>;   // (C)
  dbeta: Tensor<'f32'>;    // (C)
}

/** Launch choices, exposed so tests can force every variant the launcher can pick. */
export interface LayerNormVariant extends Partial<RowLayout> {
  /** Use the vec4 entry points (needs C % 4 == 0); the default when C % 4 == 0. */
  vec4?: boolean;
  /** Backward only: rows per block of the dgamma/dbeta partial sums. */
  rowsPerBlock?: number;
}

function rowsOf(op: string, x: Tensor): { rows: number; C: number } {
  if (x.rank < 1) throw new OpError(op, `x must have at least one axis (the normalised one), got shape ${shapeStr(x.shape)}`);
  const C = x.shape[x.rank - 1];
  if (C === 0) throw new OpError(op, `cannot normalise over an axis of length 0 (x ${shapeStr(x.shape)})`);
  return { rows: x.size / C, C };
}

function expectVector(op: string, name: string, t: Tensor, C: number, x: Tensor): void {
  expectDType(op, t, 'f32');
  if (t.rank !== 1 || t.shape[0] !== C) {
    throw new OpError(op, `${name} must have shape [${C}] (the last axis of x ${shapeStr(x.shape)}), got ${shapeStr(t.shape)}`);
  }
}

/** y = (x - mean) / sqrt(var + eps) * gamma + beta over the last axis; x (..., C), gamma, beta (C). */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-12, variant: LayerNormVariant = {}): LayerNormResult {
  const dtype = expectFloat('layerNorm', { x });
  const { rows, C } = rowsOf('layerNorm', x);
  expectVector('layerNorm', 'gamma', gamma, C, x);
  expectVector('layerNorm', 'beta', beta, C, x);
  if (!(eps >= 0)) throw new OpError('layerNorm', `eps must be >= 0, got ${eps}`);
  const e = engine();
  const y = e.empty(x.shape, dtype);
  const mean = e.empty([rows], 'f32');
  const rstd = e.empty([rows], 'f32');
  if (rows === 0) return { y, mean, rstd };
  const vec4 = variant.vec4 ?? C % 4 === 0;
  if (vec4 && C % 4 !== 0) throw new OpError('layerNorm', `the vec4 variant needs C % 4 == 0, got C = ${C}`);
  const layout = rowLayout(vec4 ? C / 4 : C, variant);
  const launch = {
    uniforms: { rows, C, eps, rows_per_block: 0, blocks: 0 },
    overrides: { WG: layout.wg, TPR: layout.tpr },
    workgroups: rowGroups(rows, layout),
  };
  if (vec4) e.run(forwardVec4Kernel.as(dtype), { ...launch, bindings: { x4: x, gamma4: gamma, beta4: beta, y4: y, mean, rstd } });
  else e.run(forwardKernel.as(dtype), { ...launch, bindings: { x, gamma, beta, y, mean, rstd } });
  return { y, mean, rstd };
}

/**
 * Gradients of layerNorm from dy (..., C), the input x (..., C), gamma (C) and the saved mean,
 * rstd (rows). dgamma and dbeta are reduced over rows in a fixed order: the same bits every run.
 */
export function layerNormBackward(dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor, variant: LayerNormVariant = {}): LayerNormGrads {
  const op = 'layerNormBackward';
  const dtype = expectFloat(op, { x, dy });
  for (const t of [mean, rstd]) expectDType(op, t, 'f32');
  const { rows, C } = rowsOf(op, x);
  if (dy.rank !== x.rank || dy.shape.some((d, i) => d !== x.shape[i])) {
    throw new OpError(op, `dy ${shapeStr(dy.shape)} must have the shape of x ${shapeStr(x.shape)}`);
  }
  expectVector(op, 'gamma', gamma, C, x);
  for (const [name, t] of [['mean', mean], ['rstd', rstd]] as const) {
    if (t.size !== rows) throw new OpError(op, `${name} must have ${rows} elements (one per row of x ${shapeStr(x.shape)}), got ${shapeStr(t.shape)}`);
  }
  const e = engine();
  const dx = e.empty(x.shape, dtype);
  const dgamma = e.empty([C], 'f32');
  const dbeta = e.empty([C], 'f32');
  const vec4 = variant.vec4 ?? C % 4 === 0;
  if (vec4 && C % 4 !== 0) throw new OpError(op, `the vec4 variant needs C % 4 == 0, got C = ${C}`);
  const layout = rowLayout(vec4 ? C / 4 : C, variant);
  // Blocks of rows for the dgamma/dbeta partials: enough (column, block) pairs to fill the device,
  // few enough blocks that summing them again is cheap.
  const rowsPerBlock = Math.max(1, variant.rowsPerBlock ?? Math.ceil(rows / (softwareAdapter() ? 4 : 64)));
  const blocks = rows === 0 ? 0 : Math.ceil(rows / rowsPerBlock);
  const uniforms = { rows, C, eps: 0, rows_per_block: rowsPerBlock, blocks };
  if (rows > 0) {
    const launch = { uniforms, overrides: { WG: layout.wg, TPR: layout.tpr }, workgroups: rowGroups(rows, layout) };
    if (vec4) e.run(dxVec4Kernel.as(dtype), { ...launch, bindings: { dy4: dy, x4: x, gamma4: gamma, saved_mean: mean, saved_rstd: rstd, dx4: dx } });
    else e.run(dxKernel.as(dtype), { ...launch, bindings: { dy, x, gamma, saved_mean: mean, saved_rstd: rstd, dx } });
  }
  const partial = e.empty([Math.max(blocks, 1), 2, C], 'f32');
  if (rows > 0) {
    e.run((vec4 ? paramsVec4Kernel : paramsKernel).as(dtype), {
      bindings: vec4
        ? { dy4: dy, x4: x, saved_mean: mean, saved_rstd: rstd, partial4: partial }
        : { dy, x, saved_mean: mean, saved_rstd: rstd, partial },
      uniforms,
      overrides: { WG: COLUMN_WG },
      workgroups: foldGroups(Math.ceil(((vec4 ? C / 4 : C) * blocks) / COLUMN_WG)),
    });
  }
  e.run(columnsKernel, {
    bindings: { partials: partial, dgamma, dbeta },
    uniforms,
    overrides: { WG: COLUMN_WG },
    workgroups: [Math.ceil(C / COLUMN_WG)],
  });
  partial.dispose();
  return { dx, dgamma, dbeta };
}
