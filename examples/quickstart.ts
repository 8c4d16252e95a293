// The smallest useful program: start the engine, run a few kernels, read the result back.
// Run: node --import ./scripts/register-ts.mjs examples/quickstart.ts
import { init, memory, ops, shutdown, tensor, tidy } from '../src/node.ts';

const gpu = await init();
console.log(`adapter: ${gpu.adapter}`);

// Everything created inside tidy() goes back to the buffer pool, except what it returns.
const rowSums = tidy(() => {
  const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const w = tensor([0.5, -1, 2]);
  return ops.sum(ops.exp(ops.mul(x, w)), { axis: 1 }); // broadcasting (2,3) * (3)
});
console.log('row sums:', await rowSums.data());
console.log('memory:', memory());
shutdown();
