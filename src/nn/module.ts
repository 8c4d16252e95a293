// Modules own named parameters and child modules. Names may be dotted paths ('self.query',
// 'output.LayerNorm'), so a module's parameter paths are exactly Hugging Face's
// ('bert.encoder.layer.0.attention.self.query.weight') without container classes that do nothing.
import type { FloatDType } from '../gpu/dtype.ts';
import { shapeStr } from '../gpu/errors.ts';
import { engine } from '../gpu/runtime.ts';
import type { Shape, Tensor } from '../gpu/tensor.ts';
import { cast } from '../kernels/fill.ts';

export interface ParameterOptions {
  /** Whether backward() computes a gradient for it. Default true. */
  trainable?: boolean;
  /** Whether AdamW's default groups apply weight decay to it (false for biases and LayerNorm, as BERT). */
  decay?: boolean;
}

/** A trainable tensor. Its value is updated in place (by the optimizer, by checkpoint loading). */
export class Parameter {
  /** f32; f16 only for inference (storeAs('f16'), checkpoint loading with `weights: 'f16'`). */
  value: Tensor<FloatDType>;
  decay: boolean;

  constructor(value: Tensor<FloatDType>, options: ParameterOptions = {}) {
    this.value = value;
    this.decay = options.decay ?? true;
    this.trainable = options.trainable ?? true;
  }

  /** Creates a parameter from host values (kept out of every tidy scope). */
  static fromHost(values: Float32Array, shape: Shape, options?: ParameterOptions): Parameter {
    const t = engine().tensor(values, shape, 'f32');
    engine().scopes.keep(t);
    return new Parameter(t, options);
  }

  get trainable(): boolean {
    return this.value.requiresGrad;
  }

  set trainable(on: boolean) {
    this.value.requiresGrad = on;
  }

  get grad(): Tensor | null {
    return this.value.grad;
  }

  get shape(): Shape {
    return this.value.shape;
  }

  get size(): number {
    return this.value.size;
  }

  /** Overwrites the values from the host (same element count): f32 values, or f16 bits for an f16 parameter. */
  assign(values: Float32Array | Uint16Array): void {
    const f16 = this.value.dtype === 'f16';
    if (f16 !== values instanceof Uint16Array) {
      throw new Error(`Parameter${this.value.name ? ` '${this.value.name}'` : ''}: ${f16 ? 'f16 bits (Uint16Array)' : 'f32 values (Float32Array)'} expected for this ${this.value.dtype} parameter`);
    }
    engine().write(this.value, values);
  }

  /**
   * Changes the storage type, keeping the values (rounded to f16). An f16 parameter is frozen:
   * AdamW and the tape train f32 parameters only; storeAs('f32') makes it trainable again.
   */
  storeAs(dtype: FloatDType): void {
    if (this.value.dtype === dtype) return;
    const e = engine();
    const next = cast(this.value, dtype);
    e.scopes.keep(next);
    next.name = this.value.name;
    const trainable = dtype === 'f32';
    this.value.dispose();
    this.value = next;
    this.trainable = trainable;
  }

  /** Downloads the values. */
  data(): Promise<Float32Array> {
    return this.value.data() as Promise<Float32Array>;
  }

  zeroGrad(): void {
    this.value.grad?.dispose();
    this.value.grad = null;
  }

  dispose(): void {
    this.zeroGrad();
    this.value.dispose();
  }

  toString(): string {
    return `Parameter(${shapeStr(this.shape)}${this.trainable ? '' : ', frozen'})`;
  }
}

export abstract class Module {
  /** Train mode (dropout active) or eval mode. New modules start in train mode, as in torch. */
  training = true;
  private readonly ownParams = new Map<string, Parameter>();
  private readonly children = new Map<string, Module>();

  /** Registers a parameter under `name` (a dotted path is allowed) and returns it. */
  protected param(name: string, p: Parameter): Parameter {
    checkName(name, this.ownParams, this.children);
    this.ownParams.set(name, p);
    return p;
  }

  /** Registers a child module under `name` (a dotted path is allowed) and returns it. */
  protected child<M extends Module>(name: string, m: M): M {
    checkName(name, this.ownParams, this.children);
    this.children.set(name, m);
    return m;
  }

  /** Every parameter with its path, depth first in registration order; a shared parameter appears once. */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const walk = (m: Module, base: string) => {
      for (const [name, p] of m.ownParams) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([base + name, p]);
      }
      for (const [name, c] of m.children) walk(c, `${base}${name}.`);
    };
    walk(this, prefix ? `${prefix}.` : '');
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** This module and every descendant, with paths ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, c] of this.children) out.push(...c.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** Number of parameter elements (shared parameters counted once). */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** True when every parameter is trainable. Setting it freezes or unfreezes the whole subtree. */
  get trainable(): boolean {
    return this.parameters().every((p) => p.trainable);
  }

  set trainable(on: boolean) {
    for (const p of this.parameters()) {
      p.trainable = on;
      if (!on) p.zeroGrad();
    }
  }

  /** Sets train mode (dropout on) for this module and every descendant. */
  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  /** Sets eval mode (dropout off) for this module and every descendant. */
  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Frees every parameter's GPU memory (and whatever a subclass caches). The module is unusable after. */
  dispose(): void {
    for (const [, m] of this.namedModules()) m.disposeOwn();
    for (const p of this.parameters()) p.dispose();
  }

  /** Subclasses free cached tensors here (position ids and the like). */
  protected disposeOwn(): void {}
}

/** Children named 0, 1, 2, ... (torch's ModuleList: `encoder.layer.0`). */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[];

  constructor(items: M[]) {
    super();
    this.items = items.map((m, i) => this.child(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }
}

function checkName(name: string, params: Map<string, unknown>, children: Map<string, unknown>): void {
  if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(name)) throw new Error(`Module: invalid name '${name}'`);
  if (params.has(name) || children.has(name)) throw new Error(`Module: '${name}' is registered twice`);
}
