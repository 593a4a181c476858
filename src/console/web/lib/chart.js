// Time-series charts with uPlot (loaded as a classic script: window.uPlot). One chart per figure; it
// follows its container's width and keeps its instance across data refreshes.
import { html, useEffect, useRef } from './html.js';

/** Draw points where a series has few values (a lone value has no line to show it). */
function sparse(u, seriesIdx) {
  return u.data[seriesIdx].filter((v) => v !== null && v !== undefined).length < 40;
}

export const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];

/**
 * `columns`: [times in seconds, ...one array per series]; `series`: [{ label, color? }];
 * `format`: how a y value is written on the axis and in the legend.
 */
export function TimeChart({ title, columns, series, format = (v) => String(v), height = 170 }) {
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
          { stroke: '#64748b', grid: { stroke: '#e2e8f0' } },
          // Wide enough for the longest tick label.
          { stroke: '#64748b', grid: { stroke: '#e2e8f0' }, size: (_u, values) => 16 + 7 * Math.max(3, ...(values ?? []).map((v) => String(v).length)), values: (_u, ticks) => ticks.map((t) => format(t)) },
        ],
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
