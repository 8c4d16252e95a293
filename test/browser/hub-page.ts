// Runs inside Chromium: FillMask.fromPretrained from a local Hub (test/util/hub-server.ts, another
// origin), with download progress, then again offline from the Cache API, then an uncached repo
// offline (a clear error). Reports back through window.hubResult.
import { FillMask, init } from '../../src/browser.ts';

declare global {
  interface Window { hubResult?: unknown; hubError?: string }
}

const TEXT = 'the [MASK] sat on the mat';

async function run() {
  await init();
  const endpoint = new URL(location.href).searchParams.get('hub')!;
  const progress: { file: string; loaded: number; total?: number }[] = [];
  const online = await FillMask.fromPretrained('org/tiny', { endpoint, onProgress: (p) => progress.push(p) });
  const first = await online.predict(TEXT);
  online.dispose();
  const offline = await FillMask.fromPretrained('org/tiny', { endpoint, offline: true });
  const second = await offline.predict(TEXT);
  offline.dispose();
  const uncached = await FillMask.fromPretrained('org/never-seen', { endpoint, offline: true }).then(() => 'loaded?!', (e: Error) => e.message);
  const weights = progress.filter((p) => p.file === 'model.safetensors');
  return { first, second, uncached, weightsProgress: weights.length, weightsDone: weights.at(-1)!.loaded === weights.at(-1)!.total };
}

run().then((r) => { window.hubResult = r; }, (e: Error) => { window.hubError = `${e.message}\n${e.stack}`; });
