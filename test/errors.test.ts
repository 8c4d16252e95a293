import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor, engine, Kernel, ShaderCompileError, GpuError } from '../src/node.ts';
import { diskShaderLoader } from '../src/gpu/dawn.node.ts';
import { setShaderLoader } from '../src/gpu/shaders.ts';
import { gpu } from './util/gpu.ts';

const BROKEN: Record<string, string> = {
  // A syntax error: caught by the reflection parser before WebGPU sees it.
  'broken_parse.wgsl': [
    '@group(0) @binding(0) var<storage, read_write> y: array<f32>;',
    '@compute @workgroup_size(1)',
    'fn main( {',
    '}',
  ].join('\n'),
  // A type error on line 5 of the file, after an include that adds lines above it:
  // the reported line must be the file's own line, not the expanded source's.
  'broken_type.wgsl': [
    '//!include common.wgsl',
    '@group(0) @binding(0) var<storage, read_write> y: array<f32>;',
    '@compute @workgroup_size(1)',
    'fn main() {',
    '  let v: f32 = 1u;',
    '  y[0] = v;',
    '}',
  ].join('\n'),
};

beforeAll(async () => {
  await gpu();
  const disk = diskShaderLoader();
  setShaderLoader((file) => BROKEN[file] ?? disk(file));
});
afterAll(() => setShaderLoader(diskShaderLoader()));

describe('errors a person can act on', () => {
  it('a WGSL syntax error names the shader file and line', () => {
    const k = new Kernel({ shader: 'broken_parse' });
    const y = tensor([0]);
    expect(() => engine().run(k, { bindings: { y }, workgroups: [1] })).toThrow(ShaderCompileError);
    expect(() => engine().run(k, { bindings: { y }, workgroups: [1] })).toThrow(/shaders\/broken_parse\.wgsl:3: WGSL parse error/);
  });

  it('a WGSL type error names the shader file and its own line, through includes', async () => {
    const k = new Kernel({ shader: 'broken_type' });
    engine().run(k, { bindings: { y: tensor([0]) }, workgroups: [1] });
    const err = await engine().sync().then(() => null, (e: Error) => e);
    expect(err).toBeInstanceOf(ShaderCompileError);
    expect(err!.message).toMatch(/kernel 'broken_type' failed to compile:\nshaders\/broken_type\.wgsl:5:\d+: /);
    // The engine stays usable afterwards.
    expect(Array.from(await tensor([1, 2]).data())).toEqual([1, 2]);
  });

  it('a WebGPU validation error becomes a JS error naming the kernel that ran', async () => {
    const k = new Kernel({ shader: 'unary' });
    const notStorage = engine().device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    engine().run(k, {
      bindings: { x: tensor([1, 2, 3, 4]), y: notStorage },
      uniforms: { n4: 1, stride: 64, alpha: 1, beta: 0 },
      workgroups: [1],
    });
    const err = await engine().sync().then(() => null, (e: Error) => e);
    expect(err).toBeInstanceOf(GpuError);
    expect(err!.message).toMatch(/^WebGPU validation error while running kernel 'unary': /);
    expect(Array.from(await tensor([3]).data())).toEqual([3]);
  });

  it('launch arguments are checked against the WGSL: bindings, uniforms, overrides, aliasing, grid size', () => {
    const k = new Kernel({ shader: 'unary' });
    const x = tensor([1, 2]);
    const y = tensor([0, 0]);
    const u = { n4: 1, stride: 64, alpha: 1, beta: 0 };
    const run = (launch: object) => () => engine().run(k, { bindings: { x, y }, uniforms: u, workgroups: [1], ...launch });
    expect(run({ bindings: { x } })).toThrow("unary: binding 'y' was not given (kernel bindings: p, x, y)");
    expect(run({ bindings: { x, y, z: y } })).toThrow('unary: unknown binding(s) z');
    expect(run({ uniforms: { n4: 1, stride: 64, alpha: 1 } })).toThrow("kernel 'unary': uniform member 'beta' was not given");
    expect(run({ uniforms: { ...u, gamma: 1 } })).toThrow("kernel 'unary': uniform struct has no member 'gamma' (members: n4, stride, alpha, beta)");
    expect(run({ overrides: { TILE: 4 } })).toThrow("unary: shader has no override constant 'TILE'");
    expect(run({ bindings: { x, y: x } })).toThrow('unary: one tensor is bound as x and y (written); an output may not alias another binding');
    expect(run({ workgroups: [70_000] })).toThrow('unary: dispatch of [70000, 1, 1] workgroups exceeds the adapter\'s limit of 65535 per dimension');
  });

  it('a tensor larger than the adapter can bind is refused up front', () => {
    const max = engine().device.limits.maxStorageBufferBindingSize;
    const rows = Math.ceil(max / 4 / 1024) + 1;
    expect(() => engine().empty([rows, 1024], 'f32')).toThrow(`alloc: a f32 tensor of shape [${rows}, 1024] needs`);
  });
});
