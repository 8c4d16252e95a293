// Small SVG charts for results people would rather look at than read: learning curves (lines)
// and benchmark ratios (bars). Pure string building, so it works in Node and in browsers.

export interface Series {
  name: string;
  values: readonly number[];
  /** x for each value; defaults to 1, 2, 3, ... (epochs). */
  x?: readonly number[];
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Round tick positions covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).reduce((best, s) => (Math.abs(Math.log(s / raw)) < Math.abs(Math.log(best / raw)) ? s : best));
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** A line chart with one line per series (non-finite values leave gaps), axes, ticks and a legend. */
export function lineChart(series: readonly Series[], opts: LineChartOptions): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 400;
  const m = { left: 64, right: 150, top: 40, bottom: 50 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const points = series.map((s) => s.values.map((v, i) => [s.x?.[i] ?? i + 1, v] as const));
  const finite = points.flat().filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = finite.map(([x]) => x);
  const ys = finite.map(([, y]) => y);
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.left + pw / 2}" y="22" text-anchor="middle" font-size="15">${esc(opts.title)}</text>`,
  ];
  for (const t of niceTicks(y0, y1)) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  // Epochs and steps are whole numbers: no tick at epoch 1.25.
  const wholeX = xs.length > 0 && xs.every(Number.isInteger);
  for (const t of niceTicks(x0, x1, 8).filter((t) => !wholeX || Number.isInteger(t))) {
    out.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#333"/>`);
    out.push(`<text x="${sx(t)}" y="${m.top + ph + 18}" text-anchor="middle">${fmt(t)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (opts.xLabel) out.push(`<text x="${m.left + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  if (opts.yLabel) out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    // Split into runs of finite points so a NaN leaves a gap instead of a wrong line.
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${run.join(' ')}"/>`);
      run = [];
    };
    for (const [x, y] of points[k]) {
      if (Number.isFinite(x) && Number.isFinite(y)) {
        run.push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
        if (points[k].length <= 60) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"/>`);
      } else flush();
    }
    flush();
    const ly = m.top + 14 + k * 18;
    out.push(`<line x1="${m.left + pw + 12}" x2="${m.left + pw + 36}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${m.left + pw + 42}" y="${ly}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

export interface Bar {
  label: string;
  /** One value per group (e.g. ratio vs tfjs-webgpu, ratio vs tfjs-wasm); NaN draws nothing. */
  values: readonly number[];
}

export interface BarChartOptions {
  title: string;
  groups: readonly string[];
  /** Log-scale value axis (ratios). */
  log?: boolean;
  /** Reference lines drawn across the chart, e.g. { value: 1, label: 'parity' }. */
  lines?: readonly { value: number; label: string }[];
  valueLabel?: string;
  width?: number;
  /** Room for the row labels on the left, in pixels. Default 260. */
  labelWidth?: number;
}

/** Horizontal grouped bars, one row per bar, with optional log scale and reference lines. */
export function barChart(bars: readonly Bar[], opts: BarChartOptions): string {
  const W = opts.width ?? 760;
  const rowH = 10 + 14 * opts.groups.length;
  const m = { left: opts.labelWidth ?? 260, right: 30, top: 72, bottom: 44 };
  const H = m.top + m.bottom + rowH * bars.length;
  const pw = W - m.left - m.right;
  const vals = bars.flatMap((b) => b.values).concat((opts.lines ?? []).map((l) => l.value)).filter((v) => Number.isFinite(v) && (!opts.log || v > 0));
  let lo = opts.log ? Math.min(...vals, 1) : Math.min(0, ...vals);
  let hi = Math.max(...vals, opts.log ? 1 : 0);
  if (opts.log) {
    lo = 10 ** Math.floor(Math.log10(lo));
    hi = 10 ** Math.ceil(Math.log10(hi));
  }
  if (hi === lo) hi = lo + 1;
  const t = (v: number) => (opts.log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo));
  const sx = (v: number) => m.left + t(v) * pw;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(opts.title)}</text>`,
  ];
  opts.groups.forEach((g, k) => {
    const x = m.left + k * 170;
    out.push(`<rect x="${x}" y="32" width="12" height="12" fill="${COLORS[k % COLORS.length]}"/>`);
    out.push(`<text x="${x + 18}" y="42">${esc(g)}</text>`);
  });
  const ticks = opts.log
    ? Array.from({ length: Math.round(Math.log10(hi / lo)) + 1 }, (_, i) => lo * 10 ** i)
    : niceTicks(lo, hi);
  for (const v of ticks) {
    out.push(`<line x1="${sx(v)}" x2="${sx(v)}" y1="${m.top}" y2="${H - m.bottom}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${sx(v)}" y="${H - m.bottom + 16}" text-anchor="middle">${fmt(v)}</text>`);
  }
  bars.forEach((b, r) => {
    const y = m.top + r * rowH;
    out.push(`<text x="${m.left - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(b.label)}</text>`);
    b.values.forEach((v, k) => {
      if (!Number.isFinite(v) || (opts.log && v <= 0)) return;
      const base = opts.log ? lo : 0;
      const [a, z] = [sx(base), sx(v)].sort((p, q) => p - q);
      out.push(`<rect x="${a.toFixed(1)}" y="${y + 5 + k * 14}" width="${Math.max(1, z - a).toFixed(1)}" height="12" fill="${COLORS[k % COLORS.length]}"><title>${esc(`${b.label} ${opts.groups[k]}: ${fmt(v)}`)}</title></rect>`);
      out.push(`<text x="${(z + 4).toFixed(1)}" y="${y + 15 + k * 14}" font-size="10">${fmt(v)}</text>`);
    });
  });
  (opts.lines ?? []).forEach((l, i) => {
    // Labels alternate between two heights, so those of nearby lines do not overprint.
    const ly = m.top - 6 - 12 * (i % 2);
    out.push(`<line x1="${sx(l.value)}" x2="${sx(l.value)}" y1="${ly + 2}" y2="${H - m.bottom}" stroke="#333" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${sx(l.value) + 3}" y="${ly}" font-size="10">${esc(l.label)}</text>`);
  });
  if (opts.valueLabel) out.push(`<text x="${m.left + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(opts.valueLabel)}</text>`);
  out.push('</svg>');
  return out.join('\n');
}
