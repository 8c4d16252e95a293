// The training API: fit / evaluate / predict over task adapters, metrics, callbacks, history and
// learning curves. Node-only callbacks (ModelCheckpoint, LearningCurves) are in *.node.ts files.
export { fit, type FitOptions } from './fit.ts';
export { evaluate, type EvaluateOptions } from './evaluate.ts';
export { predict, type PredictOptions } from './predict.ts';
export { toDataset, type Data } from './batches.ts';
export { History, type EpochRecord, type Logs, type StepRecord } from './history.ts';
export { Accuracy, BinaryAccuracy, MeanLoss, Metric, MetricSet, SparseCategoricalAccuracy, type MetricSpec } from './metrics.ts';
export { CallbackList, EarlyStopping, Monitor, type Callback, type EarlyStoppingOptions, type MonitorMode, type StepInfo, type TrainContext } from './callbacks.ts';
export { FillMaskPrinter, type FillMaskPrinterOptions } from './fill_mask_printer.ts';
export { learningCurvesSvg, type LearningCurvesOptions } from './curves.ts';
export type { TrainProgress, ProgressOptions } from './progress.ts';
export { isHostBatch, type Target, type Task, type TaskOutput, type TrainBatch } from './task.ts';
export { packTexts, packSegments, type Padding, type PackOptions, type TextInput } from './text.ts';
export { topK, type TokenScore } from './topk.ts';
export { binaryCrossEntropyWithLogits } from './losses.ts';
export * from './tasks/index.ts';
