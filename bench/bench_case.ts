// The benchmark case shape agreed for bench/cases/*.ts (bench/harness.ts runs them). Kept in its own
// file so case modules type-check on their own; it is structurally the harness's BenchCase.
import type * as TF from '@tensorflow/tfjs-core';

export interface BenchCase {
  kernel: string;                 // 'layernorm'
  shape: string;                  // human label: 'BERT-base 2048x768'
  work: { flops?: number; bytes?: number };   // for GFLOP/s or GB/s
  /** Builds inputs; run() records our launches (no waiting); check() verifies against a reference. */
  ours(): Promise<{ run(): void; check(): Promise<void>; dispose(): void }>;
  /** The same computation in TensorFlow.js (any backend); returns tensors to dispose. */
  tfjs?(tf: typeof TF): { run(): unknown; dispose(): void };
}
