// A kernel's first launch compiles its pipeline in the background (src/gpu/engine.ts): that launch
// and every command after it wait in a backlog, in order. These tests check that order holds for
// each kind of command, and that a pipeline that fails to compile is an error, never a hang.
import { beforeAll, describe, expect, it } from 'vitest';
import { engine, tensor, Kernel, GpuError } from '../src/node.ts';
import { gpu } from './util/gpu.ts';

beforeAll(gpu);

const unary = new Kernel({ shader: 'unary' });
// A workgroup size no other test uses gives a pipeline that is not compiled yet.
let nextWG = 8;
const affine = (x: ReturnType<typeof tensor>, y: ReturnType<typeof tensor>, alpha: number, beta: number, WG = nextWG++) => {
  const n4 = Math.ceil(x.size / 4);
  const groups = Math.ceil(n4 / WG);
  engine().run(unary, { bindings: { x, y }, uniforms: { n4, stride: groups * WG, alpha, beta }, overrides: { OP: 0, WG }, workgroups: [groups] });
};

describe('first launches wait for their pipelines in order', () => {
  it('a write after a waiting launch lands after it', async () => {
    const x = tensor([1, 2, 3, 4]);
    const y = tensor([0, 0, 0, 0]);
    affine(x, y, 2, 1);
    expect(engine().backlogSize).toBeGreaterThan(0);
    engine().write(x, new Float32Array([10, 20, 30, 40]));
    expect(Array.from(await y.data())).toEqual([3, 5, 7, 9]);
    expect(Array.from(await x.data())).toEqual([10, 20, 30, 40]);
    expect(engine().backlogSize).toBe(0);
  });

  it('a read copies the tensor where it was asked for: disposing it at once and reusing its buffer is safe', async () => {
    const x = tensor([1, 2, 3, 4]);
    const y = tensor([0, 0, 0, 0]);
    affine(x, y, 1, 1);
    const early = y.data();
    y.dispose();
    const z = tensor([7, 7, 7, 7]); // may take y's buffer from the pool
    affine(x, z, 3, 0); // another pipeline still compiling
    expect(Array.from(await early)).toEqual([2, 3, 4, 5]);
    expect(Array.from(await z.data())).toEqual([3, 6, 9, 12]);
  });

  it('launches of pipelines that are ready wait behind one that is compiling', async () => {
    const x = tensor([1, 2, 3, 4]);
    const y = tensor([0, 0, 0, 0]);
    affine(x, y, 1, 0, 256);
    await engine().sync(); // the WG 256 pipeline is ready from here on
    affine(x, y, 0, 5); // new: y = 5
    affine(y, x, 2, 0, 256); // ready pipeline, reads y: must see 5, not 1..4
    expect(Array.from(await x.data())).toEqual([10, 10, 10, 10]);
  });

  it('a pipeline that fails to compile is an error on the next download, and the engine goes on', async () => {
    const x = tensor([1, 2, 3, 4]);
    const y = tensor([0, 0, 0, 0]);
    // A workgroup larger than the adapter allows: the pipeline is invalid.
    const tooBig = engine().device.limits.maxComputeInvocationsPerWorkgroup * 2;
    affine(x, y, 1, 0, tooBig);
    const err = await y.data().then(() => null, (e: Error) => e);
    expect(err).toBeInstanceOf(GpuError);
    expect(err!.message).toMatch(/kernel 'unary'/);
    expect(engine().backlogSize).toBe(0);
    affine(x, y, 1, 1);
    expect(Array.from(await y.data())).toEqual([2, 3, 4, 5]);
  });

  it('sync() and gpuTime() wait for the backlog', async () => {
    const x = tensor([1, 2, 3, 4]);
    const y = tensor([0, 0, 0, 0]);
    affine(x, y, 1, 2);
    await engine().sync();
    expect(engine().backlogSize).toBe(0);
    affine(x, y, 1, 3);
    await engine().gpuTime(() => affine(y, x, 1, 0, nextWG++));
    expect(Array.from(await x.data())).toEqual([4, 5, 6, 7]);
  });
});
