// Time-series charts drawn by uPlot (assets/uplot.js, a global): sized to their card, redrawn
// when it resizes, coloured from the stylesheet's variables so dark mode follows.
const PALETTE = ['#4f46e5', '#12b76a', '#f79009', '#0ea5e9', '#e11d48', '#7c3aed', '#64748b', '#14b8a6'];
const live = new Set();

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Charts of a page that is gone stop listening for resizes. */
export function disposeCharts() {
  for (const c of live) c.dispose();
  live.clear();
}

/**
 * @param el the container
 * @param data { t: seconds[], series: [{ label, values, color?, kind?: 'line'|'bars', fill? }] }
 * @param format value -> text for the axis and the legend
 */
export function timeChart(el, data, format = (v) => String(v)) {
  const grid = cssVar('--border');
  const text = cssVar('--muted');
  const axis = {
    stroke: text,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    font: '11px system-ui, sans-serif',
  };
  const series = [
    {},
    ...data.series.map((s, i) => {
      const color = s.color ?? PALETTE[i % PALETTE.length];
      return {
        label: s.label,
        stroke: color,
        width: s.kind === 'bars' ? 0 : 2,
        fill: s.kind === 'bars' ? color : s.fill ? `${color}22` : undefined,
        paths: s.kind === 'bars' ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined,
        points: { show: false },
        value: (_, v) => (v === null || v === undefined ? '–' : format(v)),
      };
    }),
  ];
  const size = () => ({ width: Math.max(240, el.clientWidth - 8), height: el.clientWidth < 500 ? 180 : 230 });
  const opts = {
    ...size(),
    series,
    cursor: { points: { size: 6 }, drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: true }, y: { range: (_u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { ...axis },
      {
        ...axis,
        // Wide enough for the longest label (0.00005, 1.2M): about 7 px a character.
        size: (_u, values) => (values ? Math.max(40, ...values.map((v) => String(v).length * 7 + 18)) : 40),
        values: (_u, ticks) => ticks.map((v) => format(v)),
      },
    ],
  };
  const plot = new uPlot(opts, [data.t, ...data.series.map((s) => s.values)], el);
  // A table ignores a width below its content's: the wrapper is what stays 1 px wide.
  const hidden = document.createElement('div');
  hidden.className = 'sr-only';
  const points = document.createElement('table');
  points.className = 'chart-points';
  hidden.append(points);
  el.append(hidden);
  const observer = new ResizeObserver(() => plot.setSize(size()));
  observer.observe(el);
  const handle = {
    plot,
    update(t, values) {
      plot.setData([t, ...values]);
      writePoints(points, data.series, t, values, format);
    },
    dispose: () => (observer.disconnect(), plot.destroy()),
  };
  writePoints(
    points,
    data.series,
    data.t,
    data.series.map((s) => s.values),
    format,
  );
  live.add(handle);
  return handle;
}

/**
 * The chart's non-zero points as a table for screen readers (and for anyone checking the drawing
 * against the ledger): time (ISO) and each series' raw value.
 */
function writePoints(table, series, t, values, format) {
  const row = (cells, tag) => {
    const tr = document.createElement('tr');
    for (const c of cells) {
      const cell = document.createElement(tag);
      cell.textContent = c;
      tr.append(cell);
    }
    return tr;
  };
  const rows = [row(['time', ...series.map((s) => s.label)], 'th')];
  t.forEach((x, i) => {
    if (values.some((v) => v[i])) {
      const tr = row([new Date(x * 1000).toISOString(), ...values.map((v) => format(v[i] ?? 0))], 'td');
      tr.dataset.raw = JSON.stringify(values.map((v) => v[i] ?? 0));
      rows.push(tr);
    }
  });
  table.replaceChildren(...rows);
}
