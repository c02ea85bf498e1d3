// Time charts on uPlot (vendored into /vendor by the build), each with its figures as a table too: the
// table is the chart's text alternative for screen readers, and what the browser test reads.
import uPlot from '/vendor/uPlot.esm.js';

/** Colours that keep ≥ 3:1 against white for lines and fills, distinct for the first replicas. */
const PALETTE = ['#1c7ed6', '#e8590c', '#2b8a3e', '#ae3ec9', '#c92a2a', '#0c8599', '#5f3dc4', '#868e96'];
const KNOWN_COLOURS = {
  HIT: '#2b8a3e',
  MISS: '#e8590c',
  none: '#868e96',
  p50: '#1c7ed6',
  p95: '#e8590c',
  p99: '#c92a2a',
  'requests/s': '#1c7ed6',
  'p99 ms': '#e8590c',
  'failed/s': '#c92a2a',
};

/**
 * One chart in a <figure>: `title` for its caption, `unit` for the y axis, `stacked` to pile the series
 * (answers per replica). update({ seconds, series: { name: values } }) redraws it, every second.
 */
export class TimeChart {
  constructor(figure, { title, unit, stacked = false }) {
    this.figure = figure;
    this.title = title;
    this.unit = unit;
    this.stacked = stacked;
    this.names = [];
    this.plotArea = figure.querySelector('.plot');
    this.table = figure.querySelector('table');
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(this.plotArea);
  }

  size() {
    return { width: Math.max(240, this.plotArea.clientWidth), height: 180 };
  }

  colourOf(name, index) {
    return KNOWN_COLOURS[name] ?? PALETTE[index % PALETTE.length];
  }

  /** A new uPlot when the set of series changes (a replica appears); otherwise only new data. */
  update({ seconds, series }) {
    const names = Object.keys(series);
    if (!this.plot || names.join() !== this.names.join()) this.create(names);
    this.plot.setData([seconds, ...this.columnsOf(names, series)]);
    this.fillTable(seconds, names, series);
  }

  /** Stacked: series i is drawn as the sum of series 0…i, the biggest sum first so each band shows. */
  columnsOf(names, series) {
    const columns = names.map((name) => series[name]);
    if (!this.stacked) return columns;
    const sums = [];
    columns.forEach((column, index) =>
      sums.push(column.map((value, at) => (value ?? 0) + (index ? sums[index - 1][at] : 0))),
    );
    return sums.reverse();
  }

  create(names) {
    this.plot?.destroy();
    this.names = names;
    const ordered = this.stacked ? [...names].reverse() : names;
    const series = ordered.map((name) => {
      const colour = this.colourOf(name, names.indexOf(name));
      return {
        label: this.stacked ? `${name} (stacked)` : name,
        stroke: colour,
        width: 2,
        fill: this.stacked ? `${colour}99` : undefined,
        spanGaps: false,
      };
    });
    this.plot = new uPlot(
      {
        ...this.size(),
        title: undefined,
        series: [{ label: 'time' }, ...series],
        // Whole seconds on the time axis: the figures are per second.
        axes: [{ incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300] }, { label: this.unit, size: 60 }],
        scales: { y: { range: (_, min, max) => [0, Math.max(1, max ?? 1) * 1.1] } },
        cursor: { drag: { x: false, y: false } },
      },
      [[], ...series.map(() => [])],
      this.plotArea,
    );
  }

  /** The last seconds as rows, newest first. */
  fillTable(seconds, names, series) {
    const head = document.createElement('tr');
    for (const label of ['second', ...names])
      head.append(Object.assign(document.createElement('th'), { scope: 'col', textContent: label }));
    const rows = [];
    for (let at = seconds.length - 1; at >= Math.max(0, seconds.length - 60); at -= 1) {
      const row = document.createElement('tr');
      row.append(
        Object.assign(document.createElement('th'), {
          scope: 'row',
          textContent: new Date(seconds[at] * 1000).toLocaleTimeString('en-GB'),
        }),
      );
      for (const name of names) {
        const value = series[name][at];
        row.append(
          Object.assign(document.createElement('td'), {
            textContent: value === null || value === undefined ? '–' : String(Math.round(value)),
          }),
        );
      }
      rows.push(row);
    }
    (this.table.tHead ?? this.table.createTHead()).replaceChildren(head);
    (this.table.tBodies[0] ?? this.table.createTBody()).replaceChildren(...rows);
  }
}
