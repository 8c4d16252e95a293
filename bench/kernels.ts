// The kernel benchmark (npm run bench:kernels -- [filter] [--runs N] [--no-peers] [--out DIR]).
// `filter` is a substring of "kernel shape" (case-insensitive) or a /regex/; results go to
// bench/results unless --out names another folder. See bench/README.md.
import { runBench } from './harness.ts';

const args = process.argv.slice(2);
let filter: string | undefined;
let runs: number | undefined;
let outDir: string | undefined;
let peers = true;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else if (args[i] === '--out') outDir = args[++i];
  else if (args[i] === '--no-peers') peers = false;
  else if (args[i].startsWith('--')) throw new Error(`unknown option ${args[i]} (expected --runs N, --out DIR, --no-peers)`);
  else filter = args[i];
}
if (runs !== undefined && !(Number.isInteger(runs) && runs >= 1)) throw new Error(`--runs needs a positive integer, got ${runs}`);
await runBench({ filter, runs, peers, outDir });
