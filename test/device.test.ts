import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/gpu/engine.ts';
import { gpu } from './util/gpu.ts';

let e: Engine;
beforeAll(async () => {
  e = await gpu();
});

function checkGpu(env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, ['--import', './scripts/register-ts.mjs', 'scripts/check-gpu.ts'], { env, encoding: 'utf8', timeout: 60_000 });
}

describe('device', () => {
  it('reports the adapter it got', () => {
    const r = e.ctx.report;
    expect(typeof r.software).toBe('boolean');
    expect(r.vendor + r.device + r.description).not.toBe('');
    expect(e.adapter).toMatch(/\((software|hardware); vendor /);
  });

  it("requests the adapter's real limits instead of the defaults", () => {
    const adapterLimits = e.ctx.adapter.limits as unknown as Record<string, number>;
    for (const [name, value] of Object.entries(e.ctx.report.limits)) {
      expect(value, name).toBe(adapterLimits[name]);
    }
  });

  it('enables shader-f16, subgroups and timestamp-query when the adapter offers them', () => {
    for (const f of ['shader-f16', 'subgroups', 'timestamp-query']) {
      expect(e.device.features.has(f), f).toBe(e.ctx.adapter.features.has(f));
    }
  });

  it('finds a driver with no environment variable set', () => {
    const env = { ...process.env };
    delete env.VK_ICD_FILENAMES;
    delete env.VK_DRIVER_FILES;
    const run = checkGpu(env);
    expect(run.stderr + run.stdout).toContain('WebGPU adapter:');
    expect(run.status).toBe(0);
  });

  it('says what is missing and the command that fixes it when there is no adapter', () => {
    const run = checkGpu({ ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('found no adapter');
    expect(run.stderr).toContain('npm run setup');
  });
});
