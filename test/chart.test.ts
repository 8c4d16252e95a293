import { describe, expect, it } from 'vitest';
import { barChart, lineChart, niceTicks } from '../src/util/chart.ts';

describe('SVG charts', () => {
  it('draws one line per series, splits lines at NaN gaps, and escapes labels', () => {
    const svg = lineChart([
      { name: 'train <loss>', values: [2, 1.5, 1] },
      { name: 'val loss', values: [2.2, NaN, 1.4, 1.3] },
    ], { title: 'A & B', xLabel: 'epoch' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('train &lt;loss&gt;');
    expect(svg).toContain('A &amp; B');
    // train: one polyline; val: the NaN splits it into a lone point (no line) and a 2-point run.
    expect(svg.match(/<polyline/g)!.length).toBe(2);
    expect(svg.match(/<circle/g)!.length).toBe(6);
  });

  it('bars on a log scale skip NaN and non-positive values and draw reference lines', () => {
    const svg = barChart([{ label: 'matmul', values: [3.2, NaN] }, { label: 'copy', values: [0.5, 0] }], {
      title: 'ratios', groups: ['vs a', 'vs b'], log: true, lines: [{ value: 1, label: '1x' }],
    });
    expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width/g)!.length).toBe(2 + 2); // 2 legend swatches + 2 bars
    expect(svg).toContain('stroke-dasharray="4 3"');
  });

  it('ticks are round numbers covering the range', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.13, 2.9)).toEqual([0.5, 1, 1.5, 2, 2.5]);
  });
});
