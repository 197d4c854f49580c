// Time charts drawn by uPlot: the pool's size and each worker's CPU and requests.
// A TimeChart is made once per figure and then only fed new data (setData), so
// that a refresh every 5 s neither flickers nor leaks canvases; it follows its
// figure's width (ResizeObserver) and is destroyed with its worker's card.
//
// Canvas is not readable by screen readers: the chart itself is aria-hidden and
// the figure's caption carries a sentence with the latest and highest values.

import uPlot from 'uplot';

import { h } from '../common/dom';
import { timeZoneLabel } from '../common/format';
import { chartSummary, formatTick } from './format';
import { maxOf, summarize, yRange, type ChartData } from './series';

export interface LineSpec {
  label: string;
  /** CSS colour of the line. */
  stroke: string;
  fill?: string;
  dash?: number[];
  /** Draw as steps (a count that changes at minute boundaries) rather than a slope. */
  stepped?: boolean;
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
  /** Show uPlot's legend (the pool chart has two lines). */
  legend?: boolean;
  /** Only whole numbers on the y axis (a count of workers). */
  wholeNumbers?: boolean;
}

// The page's colours (styles/app.css): text and grid that keep their contrast.
const AXIS_TEXT = '#1b2430';
const GRID = '#e1e6ec';
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';
const LABEL_FONT = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';

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

export class TimeChart {
  private readonly plot: uPlot;
  private readonly summary: HTMLElement;
  private readonly resize: ResizeObserver | null;
  private data: ChartData;

  /** Fills `figure` (emptied first) with a caption and the chart. */
  constructor(
    readonly figure: HTMLElement,
    private readonly spec: ChartSpec,
    data: ChartData,
  ) {
    this.data = data;
    this.summary = h('span', { className: 'visually-hidden' });
    const caption = h('figcaption', { className: 'chart-caption' }, h('span', { className: 'chart-title' }, spec.title), ' ', this.summary);
    const holder = h('div', { className: 'chart', attrs: { 'aria-hidden': 'true' } });
    figure.replaceChildren(caption, holder);
    figure.classList.add('chart-figure');
    // The axis labels are drawn on the canvas; for tests and tools they are also here.
    // The ticks are in the reader's zone, which the label names ("time (UTC)").
    const timeLabel = `time (${timeZoneLabel(new Date())})`;
    figure.dataset['axes'] = `${timeLabel} | ${spec.yLabel}`;

    const stepped = uPlot.paths.stepped?.({ align: 1 });
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
        axis(timeLabel, { space: 60, values: (_self, ticks) => ticks.map((t) => formatTick(t)) }),
        axis(spec.yLabel, {
          size: 44,
          values: (_self, ticks) => ticks.map((t) => String(t)),
          ...(spec.wholeNumbers === true ? { incrs: [1, 2, 5, 10, 20, 50] } : {}),
        }),
      ],
      series: [
        {},
        ...spec.lines.map(
          (line): uPlot.Series => ({
            label: line.label,
            stroke: line.stroke,
            width: 2,
            spanGaps: false,
            value: (_self, value) => spec.format(value),
            points: { show: true, size: 4, fill: line.stroke },
            ...(line.fill !== undefined ? { fill: line.fill } : {}),
            ...(line.dash !== undefined ? { dash: line.dash } : {}),
            ...(line.stepped === true && stepped !== undefined ? { paths: stepped } : {}),
          }),
        ),
      ],
      legend: { show: spec.legend === true, live: false },
      cursor: { drag: { x: false, y: false, setScale: false } },
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

  destroy(): void {
    this.resize?.disconnect();
    this.plot.destroy();
  }

  private describe(): void {
    const parts = this.spec.lines.map((line, index) => {
      const { latest, max } = summarize(this.data[index + 1] ?? []);
      const name = index === 0 ? this.spec.summaryName : line.label;
      return chartSummary(name, latest, max, this.spec.format);
    });
    this.summary.textContent = parts.join(' ');
  }
}
