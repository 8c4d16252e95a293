// The tape: every differentiable op on a tensor that requires a gradient records a node (its
// inputs, the tensors its backward rule reads, and the rule). backward() walks the nodes that lie
// between the loss and the leaves that require gradients, in reverse topological order, and
// accumulates into each leaf's `.grad`.
//
// Memory: a node holds its own references (views) to what it saved, so a tidy() that disposes the
// forward's intermediates does not break the backward pass; backward() frees every node it
// used (unless `retainGraph`), and a node whose output is disposed before any backward frees
// itself once nothing downstream refers to it. Nothing recorded outlives the step.
import type { FloatDType } from '../gpu/dtype.ts';
import { OpError, shapeStr } from '../gpu/errors.ts';
import { keep, tidy } from '../gpu/runtime.ts';
import type { Tensor, TapeNode } from '../gpu/tensor.ts';
import { add as addRaw, addInto } from '../kernels/elementwise.ts';
import { copy, full } from '../kernels/fill.ts';

/** Gradients of the op's inputs, in input order; null (or undefined) for an input that needs none. */
export type BackwardRule = (dy: Tensor<FloatDType>) => readonly (Tensor | null | undefined)[];

export interface SaveContext {
  /** Which inputs need a gradient (compute only those). */
  readonly needs: readonly boolean[];
  /** Keeps `t` for the backward pass: the node holds its own view, so `t` may be disposed meanwhile. */
  save<T extends Tensor>(t: T): T;
  /** Hands over a tensor made only for the backward pass (log-sum-exp, mean/rstd); the node disposes it. */
  own<T extends Tensor>(t: T): T;
}

// ------------------------------------------------------------------ grad mode

let disabled = 0;

/** Whether ops record onto the tape (false inside noGrad()). */
export function isGradEnabled(): boolean {
  return disabled === 0;
}

/** Runs fn without recording anything: no nodes, no saved tensors (inference, evaluation, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  disabled++;
  try {
    const result = fn();
    if (result instanceof Promise) throw new Error('noGrad() takes a synchronous function; use noGradAsync() for async code');
    return result;
  } finally {
    disabled--;
  }
}

/** noGrad() for async code. Recording stays off until the promise settles, for every caller in between. */
export async function noGradAsync<T>(fn: () => Promise<T>): Promise<T> {
  disabled++;
  try {
    return await fn();
  } finally {
    disabled--;
  }
}

// ------------------------------------------------------------------ nodes

class Node implements TapeNode {
  /** Live references: its output tensor (until disposed) plus each downstream node that reads it. */
  private refs = 1;
  released = false;

  constructor(
    readonly op: string,
    /** Inputs that need a gradient; null where an input needs none. */
    readonly inputs: readonly (Tensor | null)[],
    public rule: BackwardRule | null,
    private held: Tensor[],
  ) {
    for (const t of inputs) (t?.node as Node | null)?.retain();
  }

  retain(): void {
    this.refs++;
  }

  outputDisposed(): void {
    this.drop();
  }

  private drop(): void {
    if (this.released) return;
    if (--this.refs === 0) this.release(true);
  }

  /** Frees what the node saved. With `cascade`, upstream nodes kept alive only by this one go too. */
  release(cascade: boolean): void {
    if (this.released) return;
    this.released = true;
    this.rule = null;
    for (const t of this.held) t.dispose();
    this.held = [];
    if (cascade) for (const t of this.inputs) (t?.node as Node | null)?.drop();
  }
}

function nodeOf(t: Tensor): Node | null {
  return t.node as Node | null;
}

/** Whether an op on these inputs would be recorded. */
export function recording(...inputs: readonly (Tensor | null | undefined)[]): boolean {
  return disabled === 0 && inputs.some((t) => t?.requiresGrad === true);
}

/**
 * Records `output` as produced by `op` from `inputs`. `setup` runs only when the op is recorded
 * (some input requires a gradient and grad mode is on): it saves what the backward rule needs and
 * returns the rule. Returns `output`.
 */
export function record<T extends Tensor>(
  op: string,
  inputs: readonly (Tensor | null | undefined)[],
  output: T,
  setup: (ctx: SaveContext) => BackwardRule,
): T {
  if (!recording(...inputs)) return output;
  if (inputs.includes(output)) throw new Error(`autograd: op '${op}' returned one of its inputs; an op must return a new tensor to be recorded`);
  if (output.node) throw new Error(`autograd: ${output} was already recorded by another op`);
  if (output.dtype !== 'f32' && output.dtype !== 'f16') throw new OpError(op, `only float (f32, f16) outputs can carry gradients, got ${output.dtype}`);
  const needs = inputs.map((t) => t?.requiresGrad === true);
  const held: Tensor[] = [];
  const ctx: SaveContext = {
    needs,
    save(t) {
      const view = keep(t.reshape(t.shape));
      held.push(view);
      return view as typeof t;
    },
    own(t) {
      held.push(keep(t));
      return t;
    },
  };
  const rule = setup(ctx);
  output.requiresGrad = true;
  output.node = new Node(op, inputs.map((t, i) => (needs[i] ? t! : null)), rule, held);
  return output;
}

// ------------------------------------------------------------------ leaves

/** Marks a tensor as a leaf that collects a gradient in `.grad` (returns it). */
export function requireGrad<T extends Tensor>(t: T, value = true): T {
  if (t.node) throw new Error(`autograd: ${t} was produced by a recorded op; only leaves can be marked`);
  if (value && t.dtype !== 'f32' && t.dtype !== 'f16') throw new OpError('requireGrad', `only float (f32, f16) tensors can have gradients, got ${t.dtype} ${shapeStr(t.shape)}`);
  t.requiresGrad = value;
  return t;
}

/** Disposes `.grad` of each tensor and sets it to null. */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  for (const t of tensors) {
    t.grad?.dispose();
    t.grad = null;
  }
}

/** A tensor with the same values that is not recorded (a leaf that requires no gradient). */
export function detach<T extends Tensor>(t: T): T {
  return t.reshape(t.shape) as T;
}

// ------------------------------------------------------------------ backward

export interface BackwardOptions {
  /** Upstream gradient d(objective)/d(root), same shape as root. Defaults to 1 for a one-element root. */
  grad?: Tensor | number;
  /** Keep the recorded graph so backward() can run through it again (costs the saved memory until then). */
  retainGraph?: boolean;
}

/**
 * Computes d(root)/d(leaf) for every leaf that requires a gradient and lies upstream of `root`,
 * adding it to the leaf's `.grad`. Only nodes on a path from such a leaf are differentiated, and
 * each rule is told which of its inputs need a gradient, so frozen parameters cost nothing.
 */
export function backward(root: Tensor, options: BackwardOptions = {}): void {
  if (root.disposed) throw new Error(`backward: ${root} was disposed`);
  if (!root.requiresGrad) {
    throw new Error(`backward: ${root} does not require a gradient: nothing it was computed from requires one (are all parameters frozen, or was it computed under noGrad()?)`);
  }
  const seed = seedGradient(root, options.grad);
  const order = topologicalOrder(root);
  noGrad(() => {
    const nodeGrads = new Map<Node, Tensor>();
    const leafGrads = new Map<Tensor, Tensor>();
    const rootNode = nodeOf(root);
    if (rootNode) nodeGrads.set(rootNode, seed);
    else leafGrads.set(root, seed);
    try {
      for (let n = order.length - 1; n >= 0; n--) {
        const node = order[n];
        const dy = nodeGrads.get(node);
        nodeGrads.delete(node);
        if (!dy) continue;
        const grads = runRule(node, dy as Tensor<FloatDType>);
        dy.dispose();
        if (!options.retainGraph) node.release(false);
        node.inputs.forEach((input, i) => {
          const g = grads[i];
          if (!input || !g) {
            g?.dispose();
            return;
          }
          const upstream = nodeOf(input);
          if (upstream) accumulate(nodeGrads, upstream, g);
          else accumulate(leafGrads, input, g);
        });
      }
    } catch (e) {
      for (const g of nodeGrads.values()) g.dispose();
      for (const g of leafGrads.values()) g.dispose();
      throw e;
    }
    for (const [leaf, g] of leafGrads) storeGrad(leaf, g);
    if (!options.retainGraph) for (const node of order) node.release(false);
  });
}

function seedGradient(root: Tensor, grad: Tensor | number | undefined): Tensor {
  if (grad === undefined || typeof grad === 'number') {
    if (grad === undefined && root.size !== 1) {
      throw new Error(`backward: ${root} has ${root.size} elements; pass { grad } (the upstream gradient, shape ${shapeStr(root.shape)}) or reduce it to a scalar loss first`);
    }
    return keep(full(root.shape, grad ?? 1, root.dtype));
  }
  if (grad.dtype !== root.dtype || grad.size !== root.size) {
    throw new Error(`backward: upstream gradient ${grad} does not match ${root} (expected ${root.dtype} ${shapeStr(root.shape)})`);
  }
  // A view of the caller's tensor, so the walk can dispose what it holds without touching theirs.
  return keep(grad.reshape(root.shape));
}

/** Nodes upstream of root (through inputs that need gradients), each after all its inputs' nodes. */
function topologicalOrder(root: Tensor): Node[] {
  const order: Node[] = [];
  const start = nodeOf(root);
  if (!start) return order;
  const state = new Map<Node, 'open' | 'done'>();
  const stack: { node: Node; next: number }[] = [{ node: start, next: 0 }];
  state.set(start, 'open');
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.node.released) {
      throw new Error(`backward: the graph through op '${top.node.op}' was already freed by an earlier backward(); pass { retainGraph: true } to the first call to go through it twice`);
    }
    if (top.next < top.node.inputs.length) {
      const input = top.node.inputs[top.next++];
      const up = input ? nodeOf(input) : null;
      if (up && !state.has(up)) {
        state.set(up, 'open');
        stack.push({ node: up, next: 0 });
      }
      continue;
    }
    state.set(top.node, 'done');
    order.push(top.node);
    stack.pop();
  }
  return order;
}

/** Runs one backward rule; every returned gradient is a tensor of its own (views where a rule aliases). */
function runRule(node: Node, dy: Tensor<FloatDType>): (Tensor | null)[] {
  if (!node.rule) throw new Error(`backward: the graph through op '${node.op}' was already freed`);
  const rule = node.rule;
  return tidy(() => {
    const raw = rule(dy);
    if (raw.length !== node.inputs.length) {
      throw new Error(`autograd: the backward rule of '${node.op}' returned ${raw.length} gradients for ${node.inputs.length} inputs`);
    }
    const seen = new Set<Tensor>([dy]);
    return raw.map((g, i) => {
      const input = node.inputs[i];
      if (!g || !input) return null;
      // A gradient is stored like its tensor (f16 activations get f16 gradients).
      if (g.dtype !== input.dtype || !sameShape(g.shape, input.shape)) {
        throw new Error(`autograd: the backward rule of '${node.op}' gave a gradient ${g} for input ${i} of shape ${shapeStr(input.shape)}`);
      }
      const own = seen.has(g) ? g.reshape(g.shape) : g;
      seen.add(g);
      return own as Tensor;
    });
  });
}

function accumulate<K>(map: Map<K, Tensor>, key: K, g: Tensor): void {
  const prev = map.get(key);
  if (!prev) {
    map.set(key, g);
    return;
  }
  // In place when prev owns its buffer (no view of it lives elsewhere): a tied embedding's two
  // V x H gradients then need two buffers, not three, at the backward pass's peak.
  if (prev.storage.refs === 1 && prev.dtype === g.dtype) {
    addInto(prev, g);
    g.dispose();
    return;
  }
  const sum = addRaw(prev, g);
  prev.dispose();
  g.dispose();
  map.set(key, sum);
}

function storeGrad(leaf: Tensor, g: Tensor): void {
  let value = g;
  if (leaf.grad && !leaf.grad.disposed) {
    value = addRaw(leaf.grad, g);
    leaf.grad.dispose();
    g.dispose();
  } else if (g.storage.refs > 1) {
    // A view shared with another gradient: .grad gets a buffer of its own, safe to modify in place.
    value = copy(g);
    g.dispose();
  }
  leaf.grad = keep(value) as Tensor<FloatDType>;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
