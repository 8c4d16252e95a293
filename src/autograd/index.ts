// Differentiable ops and the tape. Every op here records onto the tape when an input requires a
// gradient; the same ops without the tape are in src/kernels (exported as `ops`).
export { backward, detach, isGradEnabled, noGrad, noGradAsync, record, recording, requireGrad, zeroGrad } from './tape.ts';
export type { BackwardOptions, BackwardRule, SaveContext } from './tape.ts';
export * from './elementwise.ts';
export { max, mean, sum } from './reduce.ts';
export { broadcastTo, flatten, permute, reshape, transpose, unbroadcast } from './shape.ts';
export { linear, matmul, type Activation, type MatmulOptions } from './matmul.ts';
export { attention, type AttentionOptions } from './attention.ts';
export { dropout } from './dropout.ts';
export { castTo } from './cast.ts';
export { layerNorm } from './layernorm.ts';
export { gelu, softmax } from './activation.ts';
export { crossEntropy, type CrossEntropyOptions } from './loss.ts';
export { embedding, gatherRows } from './embedding.ts';
