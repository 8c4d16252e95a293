// One typed spec per kernel; everything else (bind group layout, uniform struct offsets, override
// names) is read from the WGSL itself with wgsl_reflect, so nothing is kept by hand.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { ShaderCompileError } from './errors.ts';
import { loadShader, type ActType, type ShaderSource } from './shaders.ts';

export interface KernelSpec {
  /** File name in shaders/ without `.wgsl`. */
  shader: string;
  /** Entry point; defaults to `main`. */
  entry?: string;
  /** Element type of the activation bindings (`act` in the WGSL, see shaders.ts). Default f32. */
  act?: ActType;
}

export type ScalarType = 'u32' | 'i32' | 'f32';
interface Slot { offset: number; type: ScalarType }

export interface BindingInfo {
  name: string;
  binding: number;
  kind: 'uniform' | 'read' | 'read_write';
}

export interface UniformLayout {
  name: string;
  binding: number;
  size: number;
  fields: Map<string, Slot[]>;
}

export interface KernelLayout {
  source: ShaderSource;
  entry: string;
  bindings: BindingInfo[];
  uniform: UniformLayout | null;
  overrides: Set<string>;
}

export type Overrides = Record<string, number | boolean>;

// wgsl_reflect's type objects, as far as this file reads them.
interface ReflectType {
  name: string;
  size: number;
  format?: ReflectType;
  count?: number;
  stride?: number;
  members?: { name: string; offset: number; type: ReflectType }[];
}

const SHORT_VEC = /^vec([234])([uif])$/;

function slotsOf(type: ReflectType, offset: number, out: Slot[]): void {
  const name = type.name;
  if (name === 'u32' || name === 'i32' || name === 'f32') {
    out.push({ offset, type: name });
  } else if (/^vec[234]$/.test(name)) {
    const n = Number(name[3]);
    const scalar = type.format?.name as ScalarType;
    for (let i = 0; i < n; i++) out.push({ offset: offset + 4 * i, type: scalar });
  } else if (SHORT_VEC.test(name)) {
    const [, n, t] = SHORT_VEC.exec(name)!;
    const scalar = ({ u: 'u32', i: 'i32', f: 'f32' } as const)[t as 'u' | 'i' | 'f'];
    for (let i = 0; i < Number(n); i++) out.push({ offset: offset + 4 * i, type: scalar });
  } else if (name === 'array' && type.format && type.count) {
    for (let i = 0; i < type.count; i++) slotsOf(type.format, offset + i * (type.stride ?? 16), out);
  } else if (type.members) {
    for (const m of type.members) slotsOf(m.type, offset + m.offset, out);
  } else {
    throw new Error(`uniform member type '${name}' is not supported by the launcher`);
  }
}

export class Kernel {
  readonly shader: string;
  readonly entry: string;
  readonly act: ActType;
  private cachedLayout: KernelLayout | null = null;
  private f16Twin: Kernel | null = null;

  constructor(spec: KernelSpec) {
    this.shader = spec.shader;
    this.entry = spec.entry ?? 'main';
    this.act = spec.act ?? 'f32';
  }

  get label(): string {
    const name = this.entry === 'main' ? this.shader : `${this.shader}:${this.entry}`;
    return this.act === 'f16' ? `${name}[f16]` : name;
  }

  /** Shader module identity: the file and its activation type. */
  get module(): string {
    return `${this.shader}:${this.act}`;
  }

  /** This kernel with activations of `dtype` (the f16 twin is made once and kept). */
  as(dtype: string): Kernel {
    if (dtype !== 'f16' || this.act === 'f16') return this;
    this.f16Twin ??= new Kernel({ shader: this.shader, entry: this.entry, act: 'f16' });
    return this.f16Twin;
  }

  layout(): KernelLayout {
    if (!this.cachedLayout) this.cachedLayout = reflectKernel(loadShader(this.shader, this.act), this.entry);
    return this.cachedLayout;
  }
}

// One parse per shader source, shared by its entry points (parsing is most of a kernel's first-launch cost).
const parsed = new WeakMap<ShaderSource, WgslReflect>();

function parse(source: ShaderSource): WgslReflect {
  let reflect = parsed.get(source);
  if (reflect) return reflect;
  try {
    reflect = new WgslReflect(source.code);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /Line:\s*(\d+)/.exec(msg);
    const where = m ? source.origin(Number(m[1])) : { file: `${source.name}.wgsl`, line: 0 };
    throw new ShaderCompileError(`shaders/${where.file}:${where.line}: WGSL parse error: ${msg.replace(/\.*\s*Line:\s*\d+/, '')}`);
  }
  parsed.set(source, reflect);
  return reflect;
}

export function reflectKernel(source: ShaderSource, entry: string): KernelLayout {
  const reflect = parse(source);
  const fn = reflect.entry.compute.find((e) => e.name === entry);
  if (!fn) throw new ShaderCompileError(`shaders/${source.name}.wgsl has no @compute entry point '${entry}'`);
  // Only the bindings this entry point uses (directly or through functions it calls) belong to its
  // pipeline, so entry points in one file may have different binding sets. (wgsl_reflect does not
  // scope names: a helper's parameter named like a binding counts as a use of that binding, so keep
  // binding names distinct from helpers' parameter names.)
  const used = new Set(fn.resources.map((r) => `${r.group}:${r.binding}`));
  const bindings: BindingInfo[] = [];
  let uniform: UniformLayout | null = null;
  const groups = reflect.getBindGroups();
  if (groups.length > 1) throw new ShaderCompileError(`shaders/${source.name}.wgsl: only @group(0) is supported`);
  for (const b of groups[0] ?? []) {
    if (!b || !used.has(`${b.group}:${b.binding}`)) continue;
    const type = b.type as unknown as ReflectType;
    if (b.resourceType === 0) {
      const fields = new Map<string, Slot[]>();
      for (const m of type.members ?? []) {
        const slots: Slot[] = [];
        slotsOf(m.type, m.offset, slots);
        fields.set(m.name, slots);
      }
      uniform = { name: b.name, binding: b.binding, size: Math.max(16, Math.ceil(b.size / 16) * 16), fields };
      bindings.push({ name: b.name, binding: b.binding, kind: 'uniform' });
    } else if (b.resourceType === 1) {
      bindings.push({ name: b.name, binding: b.binding, kind: b.access === 'read' ? 'read' : 'read_write' });
    } else {
      throw new ShaderCompileError(`shaders/${source.name}.wgsl: binding '${b.name}' is not a buffer`);
    }
  }
  bindings.sort((a, b) => a.binding - b.binding);
  const overrides = new Set(reflect.overrides.map((o) => o.name));
  return { source, entry, bindings, uniform, overrides };
}

/** Writes uniform values into `view` at `base`, by member name, checking every member is given. */
export function packUniforms(kernel: string, u: UniformLayout, values: Record<string, number | ArrayLike<number>>, view: DataView, base: number): void {
  for (const key of Object.keys(values)) {
    if (!u.fields.has(key)) throw new Error(`kernel '${kernel}': uniform struct has no member '${key}' (members: ${[...u.fields.keys()].join(', ')})`);
  }
  for (const [name, slots] of u.fields) {
    const v = values[name];
    if (v === undefined) throw new Error(`kernel '${kernel}': uniform member '${name}' was not given`);
    const list = typeof v === 'number' ? [v] : v;
    if (list.length > slots.length) throw new Error(`kernel '${kernel}': uniform '${name}' takes ${slots.length} values, got ${list.length}`);
    for (let i = 0; i < slots.length; i++) {
      const x = i < list.length ? list[i] : 0;
      const { offset, type } = slots[i];
      if (type === 'f32') view.setFloat32(base + offset, x, true);
      else if (type === 'i32') view.setInt32(base + offset, x, true);
      else view.setUint32(base + offset, x, true);
    }
  }
}

export function overrideKey(overrides: Overrides | undefined): string {
  if (!overrides) return '';
  return Object.keys(overrides).sort().map((k) => `${k}=${Number(overrides[k])}`).join(',');
}
