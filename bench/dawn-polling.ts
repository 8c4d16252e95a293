// How the engine's waits poll Dawn (src/gpu/dawn.node.ts, withThrottledPolling), measured three
// ways in one process, interleaved round by round: 'spin' (Dawn's own setImmediate loop), 'scoped'
// (what init() does on CPU adapters: throttled inside the engine's wait calls only, no global left
// changed) and 'global' (the earlier approach, measured for comparison: setImmediate replaced for
// the whole process). Cases: a 2048x3072x3072 matmul (a long wait) and 200 tiny round trips
// (add + download: the latency a short wait pays).
//   node --import ./scripts/register-ts.mjs bench/dawn-polling.ts [rounds]
import { loadavg } from 'node:os';
import { engine, init, ops, shutdown, tensor } from '../src/node.ts';
import { withThrottledPolling } from '../src/gpu/dawn.node.ts';
import { throttleDawnPollingGlobally, uniform } from './util.ts';

const ROUNDS = Number(process.argv[2] ?? 5);
const e = await init();
console.log(`adapter: ${e.adapter}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

let uninstall = () => {};
const MODES = {
  spin: () => { engine().ctx.wrapWait = undefined; uninstall(); },
  scoped: () => { engine().ctx.wrapWait = withThrottledPolling; uninstall(); },
  global: () => { engine().ctx.wrapWait = undefined; uninstall(); uninstall = throttleDawnPollingGlobally(); },
} as const;

const [M, K, N] = [2048, 3072, 3072];
const a = tensor(uniform(M * K, 1), [M, K]);
const b = tensor(uniform(K * N, 2), [K, N]);
const x = tensor(uniform(256, 3), [256]);

async function matmulGflops(): Promise<number> {
  const t0 = performance.now();
  const y = ops.matmul(a, b);
  await e.sync();
  const ms = performance.now() - t0;
  y.dispose();
  return (2 * M * K * N) / ms / 1e6;
}

async function roundTripMs(): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) {
    const y = ops.add(x, x);
    await y.data();
    y.dispose();
  }
  return (performance.now() - t0) / 200;
}

const results: Record<string, { gflops: number[]; ms: number[] }> = Object.fromEntries(Object.keys(MODES).map((m) => [m, { gflops: [], ms: [] }]));
MODES.scoped();
await matmulGflops(); // warm-up: compile
await roundTripMs();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, set] of Object.entries(MODES)) {
    set();
    results[name].gflops.push(await matmulGflops());
    results[name].ms.push(await roundTripMs());
  }
}
MODES.spin();
const median = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
console.log(`median of ${ROUNDS} interleaved rounds; load after ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| polling | matmul 2048x3072x3072 GFLOP/s | add + download round trip, ms |');
console.log('| --- | --- | --- |');
for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${median(r.gflops).toFixed(1)} | ${median(r.ms).toFixed(3)} |`);
for (const t of [a, b, x]) t.dispose();
shutdown();
