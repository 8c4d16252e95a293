// webgpu-bert for Node: WebGPU through Dawn, shaders read from the package's shaders/ folder.
import { SETUP_HINT, diskShaderLoader, nodeGpu, releaseNodeGpu, withThrottledPolling } from './gpu/dawn.node.ts';
import type { Engine } from './gpu/engine.ts';
import { disposeEngine, hasEngine, initEngine, engine } from './gpu/runtime.ts';
import { parseKernelClass, type KernelClass } from './gpu/kernel-class.ts';
import { setPipelineStorage } from './pipelines/files.ts';
import { nodePipelineStorage } from './pipelines/save.node.ts';
import { setHubPlatform } from './hub/pretrained.ts';
import { nodeHubPlatform } from './hub/platform.node.ts';

export * from './index.ts';
export * from './data/index.node.ts';
export {
  loadCheckpoint, loadCheckpointWeights, saveCheckpoint, writeFileAtomic, writeSafetensorsFile,
  type LoadCheckpointOptions, type LoadedCheckpoint,
} from './io/checkpoint.node.ts';
export { loadTrainingState, saveTrainingState, type TrainingState } from './io/training.node.ts';
export { ModelCheckpoint, TRAINER_STATE_FILE, type ModelCheckpointOptions } from './train/checkpoint.node.ts';
export { LearningCurves } from './train/curves.node.ts';
export { nodePipelineStorage } from './pipelines/save.node.ts';

// Pipelines' save(dir) / load(dir) write and read directories through Node's file system.
setPipelineStorage(nodePipelineStorage);
// fromPretrained: directories, the Hub cache on disk, HF_* variables, progress bars.
setHubPlatform(nodeHubPlatform);
export { defaultHubCacheDir, NodeHubCache } from './hub/cache.node.ts';

export interface InitOptions {
  /**
   * Forces a kernel family: 'software' (CPU adapters with subgroups), 'hardware' (GPUs) or
   * 'portable' (no subgroups); 'auto' (the default) picks from the adapter. The environment
   * variable WEBGPU_BERT_KERNELS does the same when this is absent.
   */
  kernels?: KernelClass | 'auto';
}

/** Creates (once) the process-wide engine on the best adapter Dawn finds. */
export async function init(options: InitOptions = {}): Promise<Engine> {
  if (hasEngine()) return engine();
  const kernels = options.kernels !== undefined
    ? parseKernelClass(options.kernels, 'init({ kernels })')
    : parseKernelClass(process.env.WEBGPU_BERT_KERNELS, 'WEBGPU_BERT_KERNELS');
  const e = await initEngine(await nodeGpu(), diskShaderLoader(), SETUP_HINT, kernels);
  // On a CPU adapter, don't let Dawn's wait loop take a core from the driver; scoped to the
  // engine's own waits, no global stays changed (see withThrottledPolling).
  if (e.ctx.report.software) e.ctx.wrapWait = withThrottledPolling;
  return e;
}

/** Destroys the device and lets the process exit (Dawn keeps it alive otherwise). */
export function shutdown(): void {
  disposeEngine();
  releaseNodeGpu();
}
