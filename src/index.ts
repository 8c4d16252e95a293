// webgpu-bert: everything that runs unchanged in Node and in the browser.
// The platform entries (node.ts, browser.ts) add init() for their GPU.
export { Tensor, type Shape } from './gpu/tensor.ts';
export type { DType, FloatDType } from './gpu/dtype.ts';
export { Engine, type MemoryInfo } from './gpu/engine.ts';
export { KERNEL_CLASSES, type KernelClass } from './gpu/kernel-class.ts';
export { engine, tidy, tidyAsync, keep, memory } from './gpu/runtime.ts';
export { OpError, ShaderCompileError, GpuError } from './gpu/errors.ts';
export { NoAdapterError, describeAdapter, type AdapterReport } from './gpu/device.ts';
export { Kernel, type KernelSpec } from './gpu/kernel.ts';
export * as ops from './kernels/index.ts';

import type { DType, HostArray } from './gpu/dtype.ts';
import { engine } from './gpu/runtime.ts';
import type { Shape, Tensor } from './gpu/tensor.ts';

/** Uploads values to a new GPU tensor (f32 unless the array or `dtype` says otherwise). */
export function tensor<D extends DType = 'f32'>(values: HostArray | readonly number[], shape?: Shape, dtype?: D): Tensor<D> {
  return engine().tensor(values, shape, dtype);
}

export * from './data/index.ts';

// Training: the tape autograd (differentiable ops under `autograd`), BERT modules, AdamW,
// safetensors and Hugging Face checkpoints (directories on disk: node.ts).
export * as autograd from './autograd/index.ts';
export { backward, detach, noGrad, noGradAsync, requireGrad, zeroGrad, type BackwardOptions } from './autograd/index.ts';
export * from './nn/index.ts';
export * from './optim/index.ts';
export { SafetensorsError, readSafetensors, toFloat32, writeSafetensors, type SafetensorsFile, type TensorInfo, type TensorToWrite } from './io/safetensors.ts';
export {
  CheckpointError, checkpointFiles, configText, createModel, loadWeights, modelFromCheckpoint,
  type LoadOptions, type LoadReport, type SaveDType, type SaveOptions, type VocabWriter,
} from './io/checkpoint.ts';
export { ProgressBar, formatDuration, formatRate } from './util/progress.ts';
export { lineChart, barChart, type Series, type Bar } from './util/chart.ts';

// fit / evaluate / predict for the task models, metrics, callbacks, history and learning curves;
// pipelines that take raw strings (TextClassifier, FillMask, FeatureExtraction, QuestionAnswering).
export * from './train/index.ts';
export * from './pipelines/index.ts';

// Models and pipelines by name: Hub repo ids, directories, URLs; cached (Node: the Hub's layout).
export { pretrainedFiles, setHubPlatform, type FromPretrainedOptions, type HubOptions, type HubPlatform } from './hub/pretrained.ts';
export { HubError, hubFileUrl, parseRepoId, type ModelSource } from './hub/source.ts';
export { PRESETS, presetNamed, type Preset } from './hub/presets.ts';
export type { DownloadProgress } from './hub/download.ts';
export type { HubCache } from './hub/cache.ts';
export { readShardedSafetensors, SAFETENSORS_INDEX } from './io/sharded.ts';
