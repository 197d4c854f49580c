// Time charts drawn by uPlot: the pool's overview (size, average CPU with the
// thresholds, requests) and the per-worker charts with a line per worker. A
// TimeChart is made once per figure and then only fed new data (setData), so that
// a refresh every 5 s neither flickers nor leaks canvases; when the set of lines
// changes (a worker comes or goes) its series are added and removed in place. It
// follows its figure's width (ResizeObserver).
//
// Hovering shows the values under the cursor in the legend (uPlot's cursor and
// live legend) and the time in the legend's first row. Marks on the time axis
// (launches, stops, the auto-scaler's resizes) are drawn by a small uPlot plugin.
//
// Canvas is not readable by screen readers: the chart itself is aria-hidden and
// the figure's caption carries a sentence with the latest and highest values.

import uPlot from 'uplot';

import { h } from '../common/dom';
import { formatClock, timeZoneLabel } from '../common/format';
import { chartSummary, formatTick } from './format';
import { maxOf, summarize, yRange, type ChartData, type PoolMarker } from './series';

export interface LineSpec {
  label: string;
  /** CSS colour of the line. */
  stroke: string;
  fill?: string;
  dash?: number[];
  /** Draw as steps (a count that changes at minute boundaries) rather than a slope. */
  stepped?: boolean;
  /** A reference line (a threshold): thin, no points, not in the summary. */
  reference?: boolean;
}

export interface ChartSpec {
  /** The visible caption ("CPU"). */
  title: string;
  /** What the screen-reader summary calls the first line ("CPU % of allotment"). */
  summaryName: string;
  /** The y axis's label. */
  yLabel: string;
  lines: LineSpec[];
  /** The y axis shows at least 0..floor. */
  floor: number;
  /** The values as text, for the summary and the legend. */
  format: (value: number | null) => string;
  height: number;
  /** Only whole numbers on the y axis (a count of workers). */
  wholeNumbers?: boolean;
  /** Marks to draw on the time axis, asked for at every redraw. */
  markers?: () => ReadonlyArray<PoolMarker>;
  /** Summarise every line (one per worker) rather than only the first. */
  summarizeAll?: boolean;
  /** Charts with the same key move their cursors together (the time under the pointer in all). */
  syncKey?: string;
}

// The page's colours (styles/app.css): text and grid that keep their contrast.
const AXIS_TEXT = '#1b2430';
const GRID = '#e1e6ec';
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';
const LABEL_FONT = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';
const MARK_COLOURS: Readonly<Record<PoolMarker['kind'], string>> = {
  grow: '#12691b',
  shrink: '#1f5fbf',
  launch: '#5b6675',
  stop: '#5b6675',
};

/**
 * Colours of the per-worker lines: distinguishable, each at least 3:1 against the
 * white chart; after eight they repeat dashed.
 */
export const WORKER_COLOURS = ['#1f5fbf', '#b35c00', '#12691b', '#a3237a', '#5a3fb5', '#00737a', '#b8202d', '#5b6675'];

export function workerLine(index: number, label: string): LineSpec {
  const line: LineSpec = { label, stroke: WORKER_COLOURS[index % WORKER_COLOURS.length] ?? '#1f5fbf' };
  if (index >= WORKER_COLOURS.length) line.dash = [6, 3];
  return line;
}

function axis(label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    label,
    stroke: AXIS_TEXT,
    font: FONT,
    labelFont: LABEL_FONT,
    labelSize: 18,
    grid: { stroke: GRID, width: 1 },
    ticks: { stroke: GRID, width: 1 },
    ...extra,
  };
}

function seriesOf(spec: ChartSpec, line: LineSpec, stepped: uPlot.Series.PathBuilder | undefined): uPlot.Series {
  return {
    label: line.label,
    stroke: line.stroke,
    width: line.reference === true ? 1.5 : 2,
    spanGaps: false,
    value: (_self, value) => spec.format(value),
    points: line.reference === true ? { show: false } : { show: true, size: 4, fill: line.stroke },
    ...(line.fill !== undefined ? { fill: line.fill } : {}),
    ...(line.dash !== undefined ? { dash: line.dash } : {}),
    ...(line.stepped === true && stepped !== undefined ? { paths: stepped } : {}),
  };
}

/** The plugin that draws the marks: a thin vertical line and a short label at the top. */
function markersPlugin(markers: () => ReadonlyArray<PoolMarker>): uPlot.Plugin {
  return {
    hooks: {
      draw: (u: uPlot) => {
        const ctx = u.ctx;
        const { left, top, width, height } = u.bbox;
        const [xMin, xMax] = [u.scales['x']?.min ?? 0, u.scales['x']?.max ?? 0];
        const ratio = uPlot.pxRatio;
        ctx.save();
        ctx.font = `${Math.round(11 * ratio)}px system-ui, sans-serif`;
        ctx.textBaseline = 'top';
        let lastLabelEnd = -Infinity;
        for (const mark of markers()) {
          if (mark.time < xMin || mark.time > xMax) continue;
          const x = Math.round(u.valToPos(mark.time, 'x', true));
          const colour = MARK_COLOURS[mark.kind];
          ctx.strokeStyle = colour;
          ctx.fillStyle = colour;
          ctx.lineWidth = ratio;
          ctx.setLineDash(mark.kind === 'launch' || mark.kind === 'stop' ? [2 * ratio, 3 * ratio] : []);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          const symbol = mark.kind === 'launch' ? '▲' : mark.kind === 'stop' ? '▼' : mark.kind === 'grow' ? '⇡' : '⇣';
          const text = mark.kind === 'grow' || mark.kind === 'shrink' ? `${symbol}${mark.label}` : symbol;
          const textWidth = ctx.measureText(text).width;
          const textX = Math.min(x + 2 * ratio, left + width - textWidth);
          // Labels that would overlap the one before are left out (the line stays).
          if (textX > lastLabelEnd) {
            ctx.fillText(text, textX, top + 2 * ratio);
            lastLabelEnd = textX + textWidth + 2 * ratio;
          }
        }
        ctx.restore();
      },
    },
  };
}

export class TimeChart {
  private readonly plot: uPlot;
  private readonly summary: HTMLElement;
  private readonly resize: ResizeObserver | null;
  private readonly stepped: uPlot.Series.PathBuilder | undefined;
  private lines: LineSpec[];
  private data: ChartData;

  /** Fills `figure` (emptied first) with a caption and the chart. */
  constructor(
    readonly figure: HTMLElement,
    private readonly spec: ChartSpec,
    data: ChartData,
  ) {
    this.data = data;
    this.lines = [...spec.lines];
    this.summary = h('span', { className: 'visually-hidden' });
    const caption = h('figcaption', { className: 'chart-caption' }, h('span', { className: 'chart-title' }, spec.title), ' ', this.summary);
    const holder = h('div', { className: 'chart', attrs: { 'aria-hidden': 'true' } });
    figure.replaceChildren(caption, holder);
    figure.classList.add('chart-figure');
    // The axis labels are drawn on the canvas; for tests and tools they are also here.
    // The ticks are in the reader's zone, which the label names ("time (UTC)").
    const zone = timeZoneLabel(new Date());
    const timeLabel = `time (${zone})`;
    figure.dataset['axes'] = `${timeLabel} | ${spec.yLabel}`;

    this.stepped = uPlot.paths.stepped?.({ align: 1 });
    const options: uPlot.Options = {
      width: Math.max(holder.clientWidth, 200),
      height: spec.height,
      scales: {
        x: { time: true },
        y: {
          range: (_self, _min, max) => yRange(Number.isFinite(max) ? max : maxOf(...this.data.slice(1)), spec.floor),
        },
      },
      axes: [
        // A label every 5 minutes or so at the width of a third of the page.
        axis(timeLabel, { space: 38, incrs: [60, 120, 300, 600, 900, 1800, 3600], values: (_self, ticks) => ticks.map((t) => formatTick(t)) }),
        axis(spec.yLabel, {
          size: 48,
          space: spec.wholeNumbers === true ? 18 : 24,
          values: (_self, ticks) => ticks.map((t) => String(Math.round(t * 100) / 100)),
          ...(spec.wholeNumbers === true ? { incrs: [1, 2, 5, 10, 20, 50] } : {}),
        }),
      ],
      series: [
        // The legend's first row: the time under the cursor.
        { label: zone, value: (_self, value) => (value === null ? '—' : formatClock(new Date(value * 1000)).replace(/:\d\d (\S+)$/, ' $1')) },
        ...this.lines.map((line) => seriesOf(spec, line, this.stepped)),
      ],
      legend: { show: true, live: true },
      cursor: {
        drag: { x: false, y: false, setScale: false },
        points: { size: 7 },
        ...(spec.syncKey !== undefined ? { sync: { key: spec.syncKey } } : {}),
      },
      plugins: spec.markers === undefined ? [] : [markersPlugin(spec.markers)],
    };
    this.plot = new uPlot(options, data as uPlot.AlignedData, holder);
    this.describe();

    this.resize =
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver(() => {
            const width = Math.max(Math.floor(holder.clientWidth), 200);
            if (width !== this.plot.width) this.plot.setSize({ width, height: spec.height });
          });
    this.resize?.observe(holder);
  }

  /** Draws new data in place (same canvas, same scales' settings). */
  update(data: ChartData): void {
    this.data = data;
    this.plot.setData(data as uPlot.AlignedData);
    this.describe();
  }

  /**
   * New lines and their data: lines whose label and colour stay are kept, the
   * others are removed or added in place (the canvas stays).
   */
  setLines(lines: LineSpec[], data: ChartData): void {
    const same = (a: LineSpec | undefined, b: LineSpec | undefined) =>
      a !== undefined && b !== undefined && a.label === b.label && a.stroke === b.stroke && String(a.dash) === String(b.dash);
    let keep = 0;
    while (keep < Math.min(lines.length, this.lines.length) && same(lines[keep], this.lines[keep])) keep++;
    for (let i = this.lines.length; i > keep; i--) this.plot.delSeries(i);
    for (let i = keep; i < lines.length; i++) this.plot.addSeries(seriesOf(this.spec, lines[i]!, this.stepped), i + 1);
    this.lines = [...lines];
    this.update(data);
  }

  /** Draws again (the marks changed). */
  redraw(): void {
    this.plot.redraw(false, false);
  }

  destroy(): void {
    this.resize?.disconnect();
    this.plot.destroy();
  }

  private describe(): void {
    const parts = this.lines.flatMap((line, index) => {
      if (line.reference === true || (index > 0 && this.spec.summarizeAll !== true)) return [];
      const { latest, max } = summarize(this.data[index + 1] ?? []);
      const name = this.spec.summarizeAll === true ? `${this.spec.summaryName} of ${line.label}` : this.spec.summaryName;
      return [chartSummary(name, latest, max, this.spec.format)];
    });
    this.summary.textContent = parts.length === 0 ? `${this.spec.summaryName}: no workers.` : parts.join(' ');
  }
}
