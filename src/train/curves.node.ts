// The LearningCurves callback: rewrites an SVG file of the learning curves after every epoch
// (atomically, so a viewer never reads half a file).
import { writeFileAtomic } from '../io/checkpoint.node.ts';
import type { Callback, TrainContext } from './callbacks.ts';
import { learningCurvesSvg, type LearningCurvesOptions } from './curves.ts';

export class LearningCurves implements Callback {
  constructor(readonly path: string, private readonly options: LearningCurvesOptions = {}) {
    if (typeof path !== 'string' || !path) throw new Error('LearningCurves: needs the path of the SVG file to write');
  }

  async onEpochEnd(_epoch: number, _logs: unknown, ctx: TrainContext): Promise<void> {
    await writeFileAtomic(this.path, learningCurvesSvg(ctx.history, this.options));
  }
}
