// GPU launchers, without autograd. Each op's WGSL is shaders/<name>.wgsl.
export * from './elementwise.ts';
export * from './fill.ts';
export * from './reduce.ts';
export * from './permute.ts';
export { broadcastShapes, stridesOf } from './shape.ts';
export * from './matmul.ts';
