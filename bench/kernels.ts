// The kernel benchmark: node --import ./scripts/register-ts.mjs bench/kernels.ts [filter] [--runs N] [--no-peers]
// `filter` is a substring of "kernel shape" (case-insensitive) or a /regex/. See bench/README.md.
import { runBench } from './harness.ts';

const args = process.argv.slice(2);
let filter: string | undefined;
let runs: number | undefined;
let peers = true;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else if (args[i] === '--no-peers') peers = false;
  else filter = args[i];
}
await runBench({ filter, runs, peers });
