// Prints the adapter webgpu-bert gets here; exits non-zero (with the fix) when there is none.
import { init, shutdown } from '../src/node.ts';

try {
  const e = await init();
  console.log(`webgpu-bert: WebGPU adapter: ${e.adapter}`);
  shutdown();
} catch (err) {
  console.error(`webgpu-bert: ${(err as Error).message}`);
  process.exit(1);
}
