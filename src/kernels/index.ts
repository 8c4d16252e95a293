// GPU launchers, without autograd. Each op's WGSL is shaders/<name>.wgsl.
export * from './elementwise.ts';
export * from './fill.ts';
export * from './reduce.ts';
export * from './permute.ts';
export * from './gelu.ts';
export * from './layernorm.ts';
export * from './softmax.ts';
export * from './cross_entropy.ts';
export * from './embedding.ts';
export * from './adamw.ts';
export { broadcastShapes, stridesOf } from './shape.ts';
export * from './dropout.ts';
export * from './attention.ts';
export * from './matmul.ts';
export * from './metrics.ts';
