// Time-series charts with uPlot (loaded as a classic script: window.uPlot). One chart per figure; it
// follows its container's width and keeps its instance across data refreshes.
import { html, useEffect, useRef } from './html.js';

/** Draw points where a series has few values (a lone value has no line to show it). */
function sparse(u, seriesIdx) {
  return u.data[seriesIdx].filter((v) => v !== null && v !== undefined).length < 40;
}

export const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];

const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const pad = (n) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Time ticks on one line each: "14:06" within a day's span, "Dec 4" for day steps (uPlot's default stacks a date over the first time). */
function timeTicks(_u, splits, _axis, _space, increment) {
  return splits.map((t) => {
    const d = new Date(t * 1000);
    return increment >= 86_400 ? `${MONTHS[d.getMonth()]} ${d.getDate()}` : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  });
}

/** Notes each axis's labels and their positions on the box (what the layout test measures). */
function recordTicks(u) {
  const box = u.root.parentElement;
  if (!box) return;
  const ticks = (i, scale) => JSON.stringify((u.axes[i]._splits ?? []).map((v, j) => [Math.round(u.valToPos(v, scale) * 10) / 10, String(u.axes[i]._values?.[j] ?? '')]));
  box.dataset.xTicks = ticks(0, 'x');
  box.dataset.yTicks = ticks(1, 'y');
  box.dataset.axisFont = AXIS_FONT;
}

/**
 * `columns`: [times in seconds, ...one array per series]; `series`: [{ label, color? }];
 * `format`: how a y value is written in the legend; `axis`: how the y axis's ticks are written, all
 * together (so they share their decimals); by default each with `format`.
 */
export function TimeChart({ title, columns, series, format = (v) => String(v), axis = null, height = 170 }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const uPlot = window.uPlot;
    const el = box.current;
    if (!uPlot || !el) return undefined;
    const value = (_u, v) => (v === null || v === undefined ? '—' : format(v));
    plot.current = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height,
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
        scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min ?? 0), max > 0 ? max * 1.1 : 1] } },
        axes: [
          // At least 80 px between time ticks: one-line labels never touch.
          { stroke: '#64748b', grid: { stroke: '#e2e8f0' }, font: AXIS_FONT, space: 80, values: timeTicks },
          // Wide enough for the longest tick label.
          { stroke: '#64748b', grid: { stroke: '#e2e8f0' }, font: AXIS_FONT, size: (_u, values) => 16 + 7 * Math.max(3, ...(values ?? []).map((v) => String(v).length)), values: (_u, ticks) => (axis ? axis(ticks) : ticks.map((t) => format(t))) },
        ],
        hooks: { draw: [recordTicks] },
        // Points appear by themselves where the data is sparse; gaps (no requests) are bridged.
        series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: s.color ?? COLORS[i % COLORS.length], width: 2, spanGaps: true, points: { size: 6, show: sparse }, value }))],
      },
      columns,
      el,
    );
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [series.map((s) => s.label).join('|'), height]);
  useEffect(() => {
    plot.current?.setData(columns);
  }, [columns]);
  const total = (columns[1] ?? []).reduce((sum, v) => sum + (v ?? 0), 0);
  return html`<figure class="chart" data-total=${total}>
    <figcaption>${title}</figcaption>
    <div class="chart-box" ref=${box} role="img" aria-label=${`${title}: ${describe(columns, series, format)}`}></div>
  </figure>`;
}

/** A sentence for screen readers: the latest value of each series. */
function describe(columns, series, format) {
  const last = columns[0].length - 1;
  if (last < 0) return 'no data';
  return series.map((s, i) => `${s.label} ${columns[i + 1][last] === null ? 'no data' : format(columns[i + 1][last])}`).join(', ');
}
