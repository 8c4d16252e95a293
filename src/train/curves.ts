// Learning curves as seed 003 plots them: training and validation loss per epoch in one panel,
// training and validation accuracy in another, stacked in one SVG (src/util/chart.ts).
import { lineChart, type Series } from '../util/chart.ts';
import type { History } from './history.ts';

export interface LearningCurvesOptions {
  /** Title above the panels. Default 'Training and validation'. */
  title?: string;
  /** Metrics with a panel each (training solid, validation dashed). Default: 'loss', then 'accuracy' when logged. */
  metrics?: readonly string[];
  /** Panel width and height in pixels. Default 640 x 320. */
  width?: number;
  height?: number;
}

/** The SVG (one panel per metric) of a History; empty panels say so rather than fail. */
export function learningCurvesSvg(history: History, options: LearningCurvesOptions = {}): string {
  const keys = history.keys;
  const metrics = options.metrics ?? ['loss', ...(keys.includes('accuracy') ? ['accuracy'] : [])];
  const width = options.width ?? 640;
  const height = options.height ?? 320;
  const epochs = history.epochs.map((e) => e.epoch + 1);
  const title = options.title ?? 'Training and validation';
  const panels = metrics.map((metric, i) => {
    const series: Series[] = [{ name: `training ${metric}`, values: history.series(metric), x: epochs }];
    if (keys.includes(`val_${metric}`)) series.push({ name: `validation ${metric}`, values: history.series(`val_${metric}`), x: epochs, dashed: true });
    const svg = lineChart(series, { title: `${i === 0 ? `${title}: ` : ''}${metric}`, xLabel: 'epoch', yLabel: metric, width, height });
    // Nest each panel at its offset (a nested <svg> with x / y is plain SVG 1.1).
    return svg.replace('<svg ', `<svg x="0" y="${i * height}" `);
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height * panels.length}" viewBox="0 0 ${width} ${height * panels.length}">`,
    ...panels,
    '</svg>',
  ].join('\n');
}
