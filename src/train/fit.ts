// fit(): the training loop every head shares. Per step: the task builds a host batch, the step
// (forward, backward, AdamW with clipping on the GPU, metric updates into GPU accumulators) runs
// in one tidy scope, and nothing is downloaded. The host stays at most one step ahead of the GPU
// (it prepares step k+1 while step k runs, then waits for step k without reading anything back),
// so the progress bar and tokens/s are true and memory is flat; the loss and metrics are read
// every `logEvery` steps and at the end of each epoch, all in one wait.
import { backward } from '../autograd/tape.ts';
import { engine, memory, tidy } from '../gpu/runtime.ts';
import type { BertTaskModel } from '../nn/pretrained.ts';
import { AdamW } from '../optim/adamw.ts';
import { LossScaler, type LossScaleOptions } from '../optim/loss-scale.ts';
import { resolveDType, type ComputeDType } from '../nn/compute-dtype.ts';
import { ConstantSchedule, LinearWarmupDecay, type Schedule } from '../optim/schedule.ts';
import { batchesPerPass, checkBatchSize, taskBatches, toDataset, type Data } from './batches.ts';
import { CallbackList, type Callback, type StepInfo, type TrainContext } from './callbacks.ts';
import { evaluationPass } from './evaluate.ts';
import { History, type Logs } from './history.ts';
import { MetricSet, type MetricSpec } from './metrics.ts';
import { EpochProgress, type ProgressOptions } from './progress.ts';
import type { Task, TrainBatch } from './task.ts';
import { defaultTask } from './tasks/index.ts';

export interface FitOptions<E> extends ProgressOptions {
  /** How examples become batches, loss and metrics: maskedLM(), classification(), questionAnswering(). Default: the model's task without a tokenizer (host batches only). */
  task?: Task<E, TrainBatch, unknown, never>;
  /** Passes over the data. Default 1, or unlimited when `steps` is given. */
  epochs?: number;
  /** Stop after this many updates in total (mid-epoch if need be). */
  steps?: number;
  /** Steps that make an epoch (for streams, or to cut a long dataset into shorter epochs). Default: one pass. */
  stepsPerEpoch?: number;
  /** Examples per step (host batches in the data are used as they are). Default 32. */
  batchSize?: number;
  /** Evaluated after every epoch: 'val_' logs. */
  validationData?: Data<E>;
  /** Default: batchSize. */
  validationBatchSize?: number;
  /** An optimizer to use (and keep: fit leaves its state for the next call). Without one, fit builds an AdamW from the options below and frees it at the end. */
  optimizer?: AdamW;
  /** Learning rate: a number (constant, or the peak of `schedule`), or a Schedule. Default 1e-3. */
  lr?: number | Schedule;
  /** 'linear': warmup over `warmup` of the steps, then linear decay to 0 (BERT fine-tuning, seed 003). Default 'constant'. */
  schedule?: 'constant' | 'linear';
  /** Fraction of the steps spent warming up with schedule 'linear'. Default 0.1. */
  warmup?: number;
  /** AdamW's decoupled weight decay (biases and LayerNorm excluded). Default 0.01. */
  weightDecay?: number;
  /** Clip the global gradient norm (on the GPU). Default 1 (BERT, the HF Trainer); Infinity for none. */
  maxGradNorm?: number;
  /** Metrics besides the loss. Default ['accuracy']. */
  metrics?: readonly MetricSpec[];
  /** Shuffle the data every epoch (seeded; arrays get a full permutation, streams a 1024-element buffer). Default true. */
  shuffle?: boolean;
  /** Seed of the shuffle. Default 0. */
  seed?: number;
  /** Read the loss and metrics every this many steps (each read waits for the GPU). Default 20. */
  logEvery?: number;
  callbacks?: readonly Callback[];
  /** Stops training (after the current step) when aborted. */
  signal?: AbortSignal;
  /** Stop when the loss becomes NaN (recorded in history.stopReason). Default true. */
  stopOnNaN?: boolean;
  /**
   * Activation storage for this run (mixed precision with 'f16': f32 weights, AdamW state and
   * statistics; f16 activations and their gradients). 'auto': f16 on a GPU with shader-f16.
   * Default: the model's own dtype (f32 unless set).
   */
  dtype?: ComputeDType;
  /**
   * Dynamic loss scaling (src/optim/loss-scale.ts), on by default when training in f16; `false`
   * turns it off. The scale and the skipped steps are logged as 'loss_scale' and 'skipped_steps'.
   */
  lossScale?: LossScaleOptions | false;
}

function positiveInteger(value: number | undefined, name: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new Error(`fit: ${name} must be a positive integer, got ${value}`);
}

function buildOptimizer(model: BertTaskModel, options: FitOptions<unknown>, totalSteps: number | undefined): AdamW {
  const { lr = 1e-3, schedule = 'constant', warmup = 0.1, weightDecay, maxGradNorm = 1 } = options;
  let rate: Schedule;
  if (typeof lr !== 'number') {
    if (options.schedule !== undefined) throw new Error("fit: give lr as a number with schedule 'linear', or a Schedule object without `schedule`");
    rate = lr;
  } else if (schedule === 'linear') {
    if (totalSteps === undefined) throw new Error("fit: schedule 'linear' needs the total number of steps: give `steps`, or data of known size (an array) with `epochs`");
    rate = new LinearWarmupDecay({ peak: lr, totalSteps, warmupFraction: warmup });
  } else if (schedule === 'constant') {
    rate = new ConstantSchedule(lr);
  } else {
    throw new Error(`fit: schedule must be 'constant' or 'linear', got ${JSON.stringify(schedule)}`);
  }
  // (AdamW spreads its options over its defaults: leave out what was not given.)
  return new AdamW(model, {
    lr: rate,
    ...(weightDecay !== undefined ? { weightDecay } : {}),
    ...(Number.isFinite(maxGradNorm) ? { maxGradNorm } : {}),
  });
}

/**
 * Trains `model` on `data` and returns the History (per-epoch train / validation logs, sampled
 * step logs, tokens/s, peak GPU memory). Parameters with `trainable = false` (a frozen backbone)
 * get no gradient and stay bit-identical.
 */
export async function fit<E>(model: BertTaskModel, data: Data<E>, options: FitOptions<E> = {}): Promise<History> {
  const task = options.task ?? (defaultTask(model) as unknown as Task<E, TrainBatch, unknown, never>);
  task.check(model);
  const batchSize = options.batchSize ?? 32;
  checkBatchSize(batchSize, 'fit');
  positiveInteger(options.epochs, 'epochs');
  positiveInteger(options.steps, 'steps');
  positiveInteger(options.stepsPerEpoch, 'stepsPerEpoch');
  positiveInteger(options.logEvery, 'logEvery');
  if (options.optimizer && (options.lr !== undefined || options.schedule !== undefined || options.weightDecay !== undefined || options.maxGradNorm !== undefined)) {
    throw new Error('fit: give either an optimizer or lr / schedule / weightDecay / maxGradNorm, not both');
  }
  const half = model.namedParameters().find(([, p]) => p.value.dtype !== 'f32');
  if (half) throw new Error(`fit: parameter '${half[0]}' is stored in ${half[1].value.dtype} (inference storage, e.g. loaded with { weights: 'f16' }): load the model with f32 weights to train it (mixed precision is fit's { dtype: 'f16' })`);
  if (!model.parameters().some((p) => p.trainable)) throw new Error('fit: every parameter of the model is frozen (trainable = false): nothing to train');
  const logEvery = options.logEvery ?? 20;
  const trainSet = toDataset(data, 'fit');
  const perPass = await batchesPerPass(trainSet, task, batchSize);
  if (perPass === 0) throw new Error('fit: the training data is empty');
  const epochs = options.epochs ?? (options.steps !== undefined ? Infinity : 1);
  const stepsPerEpoch = perPass === undefined ? options.stepsPerEpoch : Math.min(options.stepsPerEpoch ?? perPass, perPass);
  const planned = stepsPerEpoch !== undefined && Number.isFinite(epochs) ? epochs * stepsPerEpoch : undefined;
  const totalSteps = options.steps !== undefined && planned !== undefined ? Math.min(options.steps, planned) : options.steps ?? planned;
  const validationBatchSize = options.validationBatchSize ?? batchSize;
  checkBatchSize(validationBatchSize, 'fit (validationBatchSize)');

  const previousDType = model.dtype;
  if (options.dtype !== undefined) model.dtype = resolveDType(options.dtype, 'fit');
  const scaler = model.dtype === 'f16' && options.lossScale !== false ? new LossScaler(options.lossScale || {}) : null;
  const optimizer = options.optimizer ?? buildOptimizer(model, options as FitOptions<unknown>, totalSteps);
  const metrics = new MetricSet(options.metrics ?? ['accuracy']);
  const history = new History();
  const callbacks = new CallbackList(options.callbacks ?? []);
  const hasValidation = options.validationData !== undefined;
  const shuffled = options.shuffle === false ? trainSet : trainSet.shuffle({ seed: options.seed ?? 0, ...(trainSet.inMemory ? {} : { bufferSize: 1024 }) });
  const wasTraining = model.training;
  const e = engine();
  let globalStep = 0;
  let stopReason: string | null = null;
  const ctx: TrainContext = {
    model, task: task as never, optimizer, history, epochs, stepsPerEpoch, totalSteps, hasValidation,
    logKeys: [...metrics.names, ...(hasValidation ? metrics.names.map((n) => `val_${n}`) : [])],
    get globalStep() { return globalStep; },
    stop(reason: string) { stopReason ??= reason; },
    get stopRequested() { return stopReason !== null; },
  };
  const peak = () => {
    const m = memory();
    history.peakMemoryBytes = Math.max(history.peakMemoryBytes, m.bytesInUse + m.bytesPooled);
  };
  const t0 = performance.now();

  try {
    await callbacks.trainBegin(ctx);
    for (let epoch = 0; epoch < epochs && stopReason === null; epoch++) {
      if (totalSteps !== undefined && globalStep >= totalSteps) break;
      await callbacks.epochBegin(epoch, ctx);
      model.train();
      metrics.reset();
      const progress = new EpochProgress(options, metrics.names, { epoch, epochs, stepsPerEpoch, globalStep, totalSteps });
      const epochStart = performance.now();
      let [step, examples, tokens, lossWeight, lr] = [0, 0, 0, 0, optimizer.lr];
      let lastRead = { step: 0, tokens: 0, time: epochStart };
      let inFlight: Promise<unknown> | null = null;
      let logs: Logs = {};

      const read = async (): Promise<Logs> => {
        const { total, interval } = await metrics.read();
        if (scaler) {
          for (const logs of [total, interval]) Object.assign(logs, { loss_scale: scaler.scale, skipped_steps: scaler.skipped });
        }
        const now = performance.now();
        history.steps.push({
          step: globalStep, epoch, logs: interval, lr,
          tokensPerSecond: now > lastRead.time ? ((tokens - lastRead.tokens) * 1000) / (now - lastRead.time) : 0,
          elapsedMs: now - t0,
        });
        lastRead = { step, tokens, time: now };
        if (options.stopOnNaN !== false && lossWeight > 0 && Number.isNaN(total.loss)) {
          ctx.stop(`the loss became NaN by step ${globalStep} (epoch ${epoch + 1}): lower the learning rate, or check the labels`);
        }
        return total;
      };

      for await (const batch of taskBatches(shuffled, task, 'train', batchSize)) {
        lr = optimizer.lr;
        if (scaler) {
          // Backward from loss * S; the update waits for the gradients' norm to say whether any
          // overflowed (skip and halve S) or not (unscale by 1 / S, clip, update).
          tidy(() => {
            const out = task.forward(model as never, batch);
            backward(scaler.scaleLoss(out.loss));
            metrics.update(out, batch);
          });
          await scaler.step(optimizer);
          optimizer.zeroGrad();
        } else {
          tidy(() => {
            const out = task.forward(model as never, batch);
            backward(out.loss);
            optimizer.step();
            optimizer.zeroGrad();
            metrics.update(out, batch);
          });
        }
        // Submit this step, then wait for the previous one (no download): one step in flight.
        const done = e.finished();
        if (inFlight) await inFlight;
        inFlight = done;
        step++;
        globalStep++;
        examples += batch.examples;
        tokens += batch.tokens;
        lossWeight += batch.lossWeight;
        peak();
        const last = step === stepsPerEpoch || globalStep === totalSteps;
        let fresh: Logs | undefined;
        if (step % logEvery === 0 && !last) fresh = logs = await read();
        if (options.signal?.aborted) ctx.stop('aborted');
        // A read waited for every step; otherwise this one is still running.
        const finished = fresh ? { steps: step, tokens, examples } : { steps: step - 1, tokens: tokens - batch.tokens, examples: examples - batch.examples };
        progress.step(step, globalStep, lr, finished, fresh);
        const info: StepInfo = { step: globalStep, epoch, stepInEpoch: step, lr, examples: batch.examples, tokens: batch.tokens, ...(fresh ? { logs: history.steps[history.steps.length - 1].logs } : {}) };
        await callbacks.stepEnd(info, ctx);
        if (last || stopReason !== null) break;
      }
      if (step === 0) throw new Error(epoch === 0 ? 'fit: the training data is empty' : `fit: the training data yielded no batch in epoch ${epoch + 1} (a stream that cannot be iterated twice? pass a function to Dataset.from)`);
      logs = await read();
      const seconds = (performance.now() - epochStart) / 1000;
      progress.step(step, globalStep, lr, { steps: step, tokens, examples }, logs);
      if (hasValidation && stopReason === null) {
        progress.validating();
        metrics.reset();
        const vsteps = await evaluationPass(model, task, options.validationData!, validationBatchSize, metrics);
        if (vsteps === 0) throw new Error('fit: the validation data is empty');
        const { total } = await metrics.read();
        for (const [k, v] of Object.entries(total)) logs[`val_${k}`] = v;
        peak();
      }
      history.epochs.push({ epoch, logs, steps: step, examples, tokens, seconds, tokensPerSecond: tokens / Math.max(seconds, 1e-9), lr });
      progress.finish(logs);
      await callbacks.epochEnd(epoch, logs, ctx);
    }
    history.stopReason = stopReason;
    await callbacks.trainEnd(ctx);
    return history;
  } finally {
    for (const c of options.callbacks ?? []) (c as { dispose?: () => void }).dispose?.();
    metrics.dispose();
    if (!options.optimizer) optimizer.dispose();
    model.train(wasTraining);
    model.dtype = previousDType;
  }
}
