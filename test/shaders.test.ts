// Every compute entry point in shaders/ runs through wgsl_reflect's race detector: all
// invocations of a workgroup in lockstep, flagging unsynchronised shared-memory accesses and
// barriers in divergent control flow. Override constants are specialised into the source (the
// detector cannot size workgroup arrays by an override), with small workgroups so the
// interpreter stays fast.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WgslReflect, detectRaces } from 'wgsl_reflect/wgsl_reflect.module.js';
import { diskShaderLoader } from '../src/gpu/dawn.node.ts';
import { packUniforms, reflectKernel } from '../src/gpu/kernel.ts';
import { loadShader, setShaderLoader } from '../src/gpu/shaders.ts';

interface RaceCase {
  uniforms: Record<string, number | number[]>;
  overrides?: Record<string, number>;
  workgroups: number[];
  /** Elements (32-bit words) per storage binding; 1024 when not named. */
  sizes?: Record<string, number>;
}

const CASES: Record<string, RaceCase[]> = {
  'unary:main': [{ uniforms: { n: 40, alpha: 2, beta: 1 }, overrides: { WG: 16, OP: 9 }, workgroups: [3] }],
  'binary:main': [{
    uniforms: { n: 24, rank: 2, shape: [4, 6], a_strides: [6, 1], b_strides: [0, 1] },
    overrides: { WG: 16, OP: 2 }, workgroups: [2],
  }],
  'fill:main': [{ uniforms: { n: 20, bits: 7 }, overrides: { WG: 16 }, workgroups: [2] }],
  'copy:main': [{ uniforms: { n: 20 }, overrides: { WG: 16 }, workgroups: [2] }],
  'cast:main': [
    { uniforms: { n: 20 }, overrides: { WG: 16, FROM: 0, TO: 3 }, workgroups: [1] },
    { uniforms: { n: 20 }, overrides: { WG: 16, FROM: 3, TO: 1 }, workgroups: [2] },
  ],
  'reduce:rows': [
    { uniforms: { outer: 2, len: 50, inner: 1, chunks: 1, scale: 1 }, overrides: { WG: 16, OP: 0 }, workgroups: [2] },
    { uniforms: { outer: 1, len: 50, inner: 1, chunks: 3, scale: 1 }, overrides: { WG: 8, OP: 1 }, workgroups: [3] },
  ],
  'reduce:columns': [{ uniforms: { outer: 2, len: 5, inner: 9, chunks: 1, scale: 0.2 }, overrides: { WG: 16, OP: 0 }, workgroups: [2] }],
  'permute:main': [{ uniforms: { n: 24, rank: 3, shape: [2, 4, 3], strides: [1, 6, 2] }, overrides: { WG: 16 }, workgroups: [2] }],
};

setShaderLoader(diskShaderLoader());
const dir = join(__dirname, '..', 'shaders');
const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5));

/** Replaces `override NAME: T = v;` with `const NAME: T = value;` for the given values. */
function specialise(code: string, overrides: Record<string, number>): string {
  return code.replace(/override\s+(\w+)\s*:\s*(\w+)\s*(=\s*[^;]+)?;/g, (_, name: string, type: string, init?: string) => {
    const v = overrides[name];
    const value = v === undefined ? init!.replace(/^=\s*/, '') : type === 'bool' ? String(Boolean(v)) : type === 'f32' ? `${v}f` : type === 'i32' ? `${v}i` : `${v}u`;
    return `const ${name}: ${type} = ${value};`;
  });
}

describe('shaders are free of workgroup data races (wgsl_reflect detectRaces)', () => {
  for (const name of files) {
    const source = loadShader(name);
    const entries = new WgslReflect(source.code).entry.compute.map((e) => e.name);
    for (const entry of entries) {
      it(`${name}:${entry}`, () => {
        const cases = CASES[`${name}:${entry}`];
        expect(cases, `add a race-check case for ${name}:${entry} to test/shaders.test.ts`).toBeDefined();
        const layout = reflectKernel(source, entry);
        for (const c of cases) {
          const group: Record<number, ArrayBufferView> = {};
          for (const b of layout.bindings) {
            if (b.kind === 'uniform') {
              const bytes = new ArrayBuffer(layout.uniform!.size);
              packUniforms(name, layout.uniform!, c.uniforms, new DataView(bytes), 0);
              group[b.binding] = new Uint8Array(bytes);
            } else {
              group[b.binding] = new Float32Array(c.sizes?.[b.name] ?? 1024).map((_, i) => (i % 13) * 0.25);
            }
          }
          const code = specialise(source.code, c.overrides ?? {});
          const result = detectRaces(code, entry, c.workgroups, { 0: group });
          expect(result.errors, `${name}:${entry} ${JSON.stringify(c.overrides)}`).toEqual([]);
          expect(result.races.map((r) => r.message), `${name}:${entry}`).toEqual([]);
        }
      });
    }
  }

  it('the detector does find a missing barrier (so this test can fail)', () => {
    const code = specialise(loadShader('reduce').code, { WG: 8, OP: 0 })
      .replace(/(if \(lid < s\) \{[^}]*\}\s*)workgroupBarrier\(\);/, '$1');
    const bytes = new ArrayBuffer(32);
    const layout = reflectKernel(loadShader('reduce'), 'rows');
    packUniforms('reduce', layout.uniform!, { outer: 1, len: 16, inner: 1, chunks: 1, scale: 1 }, new DataView(bytes), 0);
    const result = detectRaces(code, 'rows', [1], { 0: { 0: new Uint8Array(bytes), 1: new Float32Array(16).fill(1), 2: new Float32Array(1) } });
    expect(result.races.length).toBeGreaterThan(0);
  });
});
