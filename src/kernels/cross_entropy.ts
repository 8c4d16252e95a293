// Sparse softmax cross-entropy, fused forward and backward (shaders/cross_entropy.wgsl).
//
// Bad labels: a label outside [0, V) that is not ignoreIndex is an error. When the caller passes
// the labels as a host Int32Array they are checked here and an OpError names the first bad row;
// when they are already a GPU tensor the forward checks them (src/gpu/guard.ts): that row's loss
// is NaN, and the next download (the loss's, typically) throws an OpError naming the label.
import type { FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { checkHost, type GuardCheck } from '../gpu/guard.ts';
import { Kernel } from '../gpu/kernel.ts';
import { engine } from '../gpu/runtime.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { rowGroups, rowLayout, type RowLayout } from './launch.ts';
import { expectDType } from './shape.ts';

const forwardKernel = new Kernel({ shader: 'cross_entropy', entry: 'forward' });
const reduceKernel = new Kernel({ shader: 'cross_entropy', entry: 'reduce' });
const scaleKernel = new Kernel({ shader: 'cross_entropy', entry: 'scale_from_weights' });
/** The one workgroup that sums every row's loss (or weight). */
const REDUCE_WG = 256;
const backwardKernel = new Kernel({ shader: 'cross_entropy', entry: 'backward' });
const backwardVec4Kernel = new Kernel({ shader: 'cross_entropy', entry: 'backward_vec4' });

export interface CrossEntropyOptions {
  /** (N) f32 per-sample weights. */
  weights?: Tensor;
  /** Rows with this label are left out of the loss and get zero gradient; default -100. */
  ignoreIndex?: number;
  /** Forces a launch layout (tests). */
  layout?: Partial<RowLayout>;
  /** Backward: use the scalar kernel even when V >= 4 (tests). */
  scalar?: boolean;
  /** How errors name the labels (default `labels`) and their range (default `classes`). */
  names?: { input?: string; classes?: string };
}

export interface CrossEntropyResult {
  /** Shape []: sum(w_i * loss_i) / sum(w_i) over rows whose label is not ignoreIndex; 0 when that sum is 0. */
  loss: Tensor<FloatDType>;
  /** (N): log-sum-exp of each row of logits, saved for the backward. */
  lse: Tensor<FloatDType>;
}

export type Labels = Tensor | Int32Array;

interface Checked { N: number; V: number; labels: Tensor; uploaded: boolean; ignoreIndex: number; weights?: Tensor; check: GuardCheck }

function check(op: string, logits: Tensor, labels: Labels, opts: CrossEntropyOptions): Checked {
  expectDType(op, logits, 'f32', 'f16');
  if (logits.rank !== 2) throw new OpError(op, `logits must be (N, V), got shape ${shapeStr(logits.shape)}`);
  const [N, V] = logits.shape;
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) throw new OpError(op, `ignoreIndex must be an integer, got ${ignoreIndex}`);
  let tensor: Tensor;
  let uploaded = false;
  const input = opts.names?.input ?? 'labels';
  const check: GuardCheck = {
    op, input, shape: labels instanceof Int32Array ? [labels.length] : labels.shape,
    expected: `labels in [0, ${V}) (${opts.names?.classes ?? 'the classes of the logits'}), or ${ignoreIndex} to ignore a row`,
  };
  if (labels instanceof Int32Array) {
    if (labels.length !== N) throw new OpError(op, `${input} must have ${N} entries (one per row of logits ${shapeStr(logits.shape)}), got ${labels.length}`);
    checkHost(check, labels, (l) => l === ignoreIndex || (l >= 0 && l < V));
    tensor = engine().tensor(labels, [N], 'i32');
    uploaded = true;
  } else {
    expectDType(op, labels, 'i32');
    if (labels.size !== N) throw new OpError(op, `labels must have ${N} entries (one per row of logits ${shapeStr(logits.shape)}), got shape ${shapeStr(labels.shape)}`);
    tensor = labels;
  }
  if (opts.weights) {
    expectDType(op, opts.weights, 'f32');
    if (opts.weights.size !== N) throw new OpError(op, `weights must have ${N} entries, got shape ${shapeStr(opts.weights.shape)}`);
  }
  return { N, V, labels: tensor, uploaded, ignoreIndex, weights: opts.weights, check };
}

// Without weights the shader never reads `weights`, but WebGPU wants every declared binding bound:
// the labels buffer stands in (read-only, so the alias is allowed).
function common(c: Checked) {
  return {
    bindings: { labels: c.labels, weights: c.weights ?? c.labels },
    overrides: { HAS_WEIGHTS: Boolean(c.weights) },
  };
}

/**
 * Mean cross-entropy of softmax(logits) against integer labels. logits (N, V) f32 or f16 (read into f32); labels (N) i32,
 * as a GPU tensor or a host Int32Array (then validated on the host). Returns loss [] and lse (N).
 */
export function sparseCrossEntropy(logits: Tensor, labels: Labels, opts: CrossEntropyOptions = {}): CrossEntropyResult {
  const c = check('sparseCrossEntropy', logits, labels, opts);
  const e = engine();
  const lse = e.empty([c.N], 'f32');
  const loss = e.empty([], 'f32');
  const rowloss = e.empty([Math.max(c.N, 1), 2], 'f32');
  const uniforms = { rows: c.N, V: c.V, ignore_index: c.ignoreIndex, dloss: 0, guard_slot: 0 };
  const { bindings, overrides } = common(c);
  if (c.N > 0) {
    if (c.V === 0) throw new OpError('sparseCrossEntropy', `logits ${shapeStr(logits.shape)} have no classes`);
    const l = rowLayout(c.V, opts.layout);
    // Host labels were checked above; GPU labels are checked by the kernel.
    const { guard, slot } = c.uploaded ? { guard: e.guard.buffer, slot: 0 } : e.guardSlot(c.check);
    e.run(forwardKernel.as(logits.dtype), {
      // logits4 views the whole buffer (a multiple of 16 bytes) so even a tiny tensor binds as vec4s.
      bindings: { ...bindings, logits, logits4: logits, lse, rowloss, guard },
      uniforms: { ...uniforms, guard_slot: slot },
      overrides: { ...overrides, WG: l.wg, TPR: l.tpr },
      workgroups: rowGroups(c.N, l),
    });
  }
  e.run(reduceKernel, { bindings: { rowloss_in: rowloss, loss }, uniforms, overrides: { WG: REDUCE_WG }, workgroups: [1] });
  rowloss.dispose();
  if (c.uploaded) c.labels.dispose();
  return { loss, lse };
}

/**
 * dlogits (N, V) = (softmax(logits) - onehot(labels)) * w_i * dLoss / sum(w), written directly from
 * the saved lse; ignored rows get zeros; stored in the logits' float type (f16 dlogits need a loss
 * scale to keep small probabilities from flushing to zero). dLoss is a number or a [] tensor (default 1).
 */
export function sparseCrossEntropyBackward(
  logits: Tensor, labels: Labels, lse: Tensor, opts: CrossEntropyOptions & { dLoss?: Tensor | number } = {},
): Tensor<FloatDType> {
  const op = 'sparseCrossEntropyBackward';
  const c = check(op, logits, labels, opts);
  expectDType(op, lse, 'f32');
  if (lse.size !== c.N) throw new OpError(op, `lse must have ${c.N} entries, got shape ${shapeStr(lse.shape)}`);
  const dLoss = opts.dLoss ?? 1;
  if (typeof dLoss !== 'number') {
    expectDType(op, dLoss, 'f32');
    if (dLoss.size !== 1) throw new OpError(op, `dLoss must be a scalar tensor, got shape ${shapeStr(dLoss.shape)}`);
  }
  const e = engine();
  const dlogits = e.empty([c.N, c.V], logits.dtype as FloatDType);
  if (c.N === 0 || c.V === 0) return dlogits;
  const uniforms = { rows: c.N, V: c.V, ignore_index: c.ignoreIndex, dloss: typeof dLoss === 'number' ? dLoss : 0, guard_slot: 0 };
  const { bindings, overrides } = common(c);
  const scale = e.empty([1], 'f32');
  const hasDLoss = typeof dLoss !== 'number';
  e.run(scaleKernel, {
    bindings: { ...bindings, scale, dloss_t: hasDLoss ? dLoss : c.labels },   // labels stand in, unread, as above
    uniforms,
    overrides: { ...overrides, HAS_DLOSS: hasDLoss, WG: REDUCE_WG },
    workgroups: [1],
  });
  const l = rowLayout(c.V, opts.layout);
  // Rows of at least 4 use vec4 loads and stores over the whole buffers (multiples of 16 bytes).
  const vec4 = c.V >= 4 && !opts.scalar;
  e.run((vec4 ? backwardVec4Kernel : backwardKernel).as(logits.dtype), {
    bindings: vec4
      ? { ...bindings, logits4: logits, saved_lse: lse, scale_in: scale, dlogits4: dlogits }
      : { ...bindings, logits, saved_lse: lse, scale_in: scale, dlogits },
    uniforms,
    overrides: { ...overrides, WG: l.wg, TPR: l.tpr },
    workgroups: rowGroups(c.N, l),
  });
  scale.dispose();
  if (c.uploaded) c.labels.dispose();
  return dlogits;
}
