// A progress bar for long loops (tokenizing corpora, training epochs). On a terminal it redraws one
// line in place with \r; in logs (CI, pipes) it prints a line every few percent or seconds; in the
// browser (no process.stdout) pass `onProgress` and render the state yourself. Browser-safe.

export type ProgressExtra = Record<string, number | string>;

export interface ProgressState {
  label: string;
  unit: string;
  done: number;
  total: number | undefined;
  /** done / total, when total is known. */
  fraction: number | undefined;
  elapsedMs: number;
  /** Average units per second since the start. */
  rate: number;
  /** Estimated time left, when total is known and the rate is positive. */
  etaMs: number | undefined;
  extra: ProgressExtra;
  finished: boolean;
}

export interface ProgressWriter {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressBarOptions {
  total?: number;
  label?: string;
  unit?: string;
  /** Characters of the bar itself. Default 24. */
  width?: number;
  /** Called on every update with the current state (for browsers and custom UIs). */
  onProgress?: (state: ProgressState) => void;
  /** Where lines go. Default process.stdout when it exists; null prints nothing. */
  output?: ProgressWriter | null;
  /** Milliseconds clock. Default performance.now / Date.now. */
  now?: () => number;
  /** Not a TTY: print a line each time this many percent pass. Default 10. */
  logEveryPercent?: number;
  /** Not a TTY: also print when this many seconds pass without a line. Default 5. */
  logEverySeconds?: number;
  /** TTY: redraw at most this often. Default 100 ms. */
  redrawMs?: number;
}

export class ProgressBar {
  private readonly label: string;
  private readonly unit: string;
  private readonly total: number | undefined;
  private readonly width: number;
  private readonly output: ProgressWriter | null;
  private readonly now: () => number;
  private readonly options: ProgressBarOptions;
  private readonly start: number;
  private done = 0;
  private extra: ProgressExtra = {};
  private finished = false;
  private lastDraw = -Infinity;
  private lastLoggedStep = -1;

  constructor(options: ProgressBarOptions = {}) {
    this.options = options;
    this.label = options.label ?? '';
    this.unit = options.unit ?? 'it';
    this.total = options.total;
    this.width = options.width ?? 24;
    this.output = options.output === undefined ? defaultOutput() : options.output;
    this.now = options.now ?? defaultClock();
    this.start = this.now();
  }

  /** Adds `n` units done (default 1), with optional fields to show (e.g. { loss: 2.31 }). */
  tick(n = 1, extra?: ProgressExtra): void {
    this.update(this.done + n, extra);
  }

  /** Sets the count of units done. */
  update(done: number, extra?: ProgressExtra): void {
    this.done = done;
    if (extra) this.extra = { ...this.extra, ...extra };
    this.emit(false);
  }

  /** Final draw, then a newline on terminals. */
  finish(extra?: ProgressExtra): void {
    if (this.finished) return;
    if (extra) this.extra = { ...this.extra, ...extra };
    this.finished = true;
    this.emit(true);
  }

  state(): ProgressState {
    const elapsedMs = Math.max(0, this.now() - this.start);
    const rate = elapsedMs > 0 ? (this.done * 1000) / elapsedMs : 0;
    const total = this.total;
    const fraction = total === undefined ? undefined : total > 0 ? Math.min(1, this.done / total) : 1;
    const etaMs = total !== undefined && rate > 0 ? Math.max(0, ((total - this.done) / rate) * 1000) : undefined;
    return { label: this.label, unit: this.unit, done: this.done, total, fraction, elapsedMs, rate, etaMs, extra: { ...this.extra }, finished: this.finished };
  }

  /** The status line for the current state. */
  render(state: ProgressState = this.state()): string {
    const parts: string[] = [];
    if (state.label) parts.push(state.label);
    if (state.fraction !== undefined) {
      const filled = Math.round(state.fraction * this.width);
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}]`, `${Math.floor(state.fraction * 100)}%`.padStart(4));
      parts.push(`${state.done}/${state.total} ${state.unit}`);
    } else {
      parts.push(`${state.done} ${state.unit}`);
    }
    parts.push(formatRate(state.rate, state.unit));
    parts.push(`elapsed ${formatDuration(state.elapsedMs)}`);
    if (!state.finished && state.etaMs !== undefined) parts.push(`eta ${formatDuration(state.etaMs)}`);
    for (const [k, v] of Object.entries(state.extra)) parts.push(`${k}=${typeof v === 'number' ? formatNumber(v) : v}`);
    return parts.join(' ');
  }

  private emit(final: boolean): void {
    const state = this.state();
    this.options.onProgress?.(state);
    const out = this.output;
    if (!out) return;
    const t = this.now();
    if (out.isTTY) {
      if (!final && t - this.lastDraw < (this.options.redrawMs ?? 100)) return;
      this.lastDraw = t;
      out.write(`\r${this.render(state)}\x1b[K${final ? '\n' : ''}`);
      return;
    }
    // Logs: a line per `logEveryPercent` step, or after `logEverySeconds` of silence, and at the end.
    const step = state.fraction === undefined ? -1 : Math.floor((state.fraction * 100) / (this.options.logEveryPercent ?? 10));
    const quiet = t - this.lastDraw >= (this.options.logEverySeconds ?? 5) * 1000;
    if (final || step > this.lastLoggedStep || quiet) {
      this.lastLoggedStep = Math.max(step, this.lastLoggedStep);
      this.lastDraw = t;
      out.write(`${this.render(state)}\n`);
    }
  }
}

/** 65_000 ms -> '1:05'; 3_723_000 ms -> '1:02:03'. */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** 1234.5 -> '1.23k docs/s'; 0.5 -> '0.500 docs/s'. */
export function formatRate(perSecond: number, unit: string): string {
  return `${formatNumber(perSecond, false)} ${unit}/s`;
}

function formatNumber(x: number, exactIntegers = true): string {
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (a >= 1e3) return `${(x / 1e3).toFixed(2)}k`;
  if (exactIntegers && Number.isInteger(x)) return String(x);
  return a >= 100 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
}

function defaultOutput(): ProgressWriter | null {
  return typeof process !== 'undefined' && process.stdout ? process.stdout : null;
}

function defaultClock(): () => number {
  return typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();
}
