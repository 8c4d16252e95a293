// ProgressBar formatting with a fake clock: rate, ETA, elapsed, TTY redraws vs log lines, callback.
import { describe, expect, it } from 'vitest';
import { formatDuration, formatRate, ProgressBar, type ProgressState } from '../src/util/progress.ts';

function fakeClock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, write: (s: string) => writes.push(s) } };
}

describe('format helpers', () => {
  it('durations and rates', () => {
    expect(formatDuration(65_000)).toBe('1:05');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(0)).toBe('0:00');
    expect(formatRate(1234.5, 'docs')).toBe('1.23k docs/s');
    expect(formatRate(12.345, 'MB')).toBe('12.35 MB/s');
    expect(formatRate(0.5, 'it')).toBe('0.500 it/s');
  });
});

describe('ProgressBar', () => {
  it('shows percent, count, rate, elapsed, ETA and extra fields', () => {
    const clock = fakeClock();
    const { out } = sink(false);
    const bar = new ProgressBar({ total: 200, label: 'tokenize', unit: 'docs', width: 10, now: clock.now, output: out });
    clock.advance(10_000);
    bar.tick(50, { loss: 2.3456 });
    expect(bar.render()).toBe('tokenize [###-------]  25% 50/200 docs 5.00 docs/s elapsed 0:10 eta 0:30 loss=2.35');
    const s = bar.state();
    expect(s.rate).toBeCloseTo(5);
    expect(s.etaMs).toBeCloseTo(30_000);
  });

  it('redraws in place with \\r on a TTY, throttled, and ends with a newline', () => {
    const clock = fakeClock();
    const { out, writes } = sink(true);
    const bar = new ProgressBar({ total: 10, now: clock.now, output: out, redrawMs: 100 });
    bar.tick();
    bar.tick(); // same instant: throttled
    clock.advance(150);
    bar.tick();
    bar.finish();
    expect(writes).toHaveLength(3);
    expect(writes.every((w) => w.startsWith('\r'))).toBe(true);
    expect(writes[2]!.endsWith('\n')).toBe(true);
    expect(writes[1]).toContain(' 30% 3/10');
  });

  it('prints a line per 10% in logs (not a TTY), plus after long silences', () => {
    const clock = fakeClock();
    const { out, writes } = sink(false);
    const bar = new ProgressBar({ total: 100, now: clock.now, output: out });
    for (let i = 0; i < 100; i++) {
      clock.advance(10);
      bar.tick();
    }
    bar.finish();
    // 0%.. : lines at 1 (step 0), 10, 20, ..., 100, and the final one.
    expect(writes.length).toBe(12);
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
    const quiet = sink(false);
    const slow = new ProgressBar({ total: 1000, now: clock.now, output: quiet.out, logEverySeconds: 5 });
    slow.tick();
    clock.advance(6000);
    slow.tick();
    expect(quiet.writes).toHaveLength(2);
  });

  it('calls onProgress with the state and prints nothing when output is null (browser)', () => {
    const clock = fakeClock();
    const states: ProgressState[] = [];
    const bar = new ProgressBar({ total: 4, now: clock.now, output: null, onProgress: (s) => states.push(s) });
    clock.advance(2000);
    bar.tick(2);
    bar.finish();
    expect(states.map((s) => s.done)).toEqual([2, 2]);
    expect(states[0]!.fraction).toBe(0.5);
    expect(states[0]!.rate).toBe(1);
    expect(states[1]!.finished).toBe(true);
  });

  it('without a total shows count and rate only', () => {
    const clock = fakeClock();
    const bar = new ProgressBar({ unit: 'tok', now: clock.now, output: null });
    clock.advance(2000);
    bar.tick(30_000);
    expect(bar.render()).toBe('30000 tok 15.0k tok/s elapsed 0:02');
  });
});
