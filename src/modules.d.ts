declare module 'webgpu-bert:shaders' {
  const shaders: Record<string, string>;
  export default shaders;
}

// wgsl_reflect's CommonJS `main` cannot be imported from ESM in Node; its ES module file can,
// and carries the same types as the package root.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
