// / (manager): the pool. On top a bar with the size, the entry, the grow and shrink
// buttons and a link to the danger zone (sticky, so they stay in reach); then the
// overview of the past 30 minutes (pool size, the pool's average CPU with the grow
// and shrink thresholds, the pool's requests), with the launches, stops and the
// auto-scaler's resizes marked on the time axis; then the workers: two charts with
// a line per worker on one scale (CPU, requests), a compact row per live worker, and
// the stopped workers folded away. Every 5 seconds GET /api/v1/pool,
// /api/v1/metrics, /api/v1/policy and /api/v1/decisions refresh it in place: rows
// are kept by worker id, charts only get new data or lines.

import { addressText, byId, h, replaceChildren, setBusy, setStatus } from '../../common/dom';
import { formatClock, formatDateTime, plural } from '../../common/format';
import { managerApi } from '../api';
import { TimeChart, workerLine, type ChartSpec, type LineSpec } from '../charts';
import {
  countsText,
  formatAllotment,
  formatPercent,
  formatRate,
  formatSince,
  isLive,
  sizeButtons,
  stateLabel,
  stateTone,
  workersText,
} from '../format';
import { messageOf, showPageError, startManagerPage } from '../layout';
import { Poller, REFRESH_MS } from '../poller';
import {
  earlierWorkers,
  overviewData,
  perWorkerData,
  poolMarkers,
  summarize,
  MINUTE_SECONDS,
  type PoolMarker,
} from '../series';
import type { Decision, Metrics, Pool, PoolWorker, ScalingPolicy } from '../types';
import { safeEntryUrl } from '../urls';

/** The charts' span (docs/manager.md: the past 30 minutes, 1-minute points). */
const WINDOW_MINUTES = 30;
/** Decisions read for the marks: a check a minute at most covers the window twice. */
const DECISIONS_READ = 120;
const CHART_HEIGHT = 170;

function nowSeconds(): number {
  return Date.now() / 1000;
}

const workerCount = (value: number | null) => (value === null ? '—' : String(Math.round(value * 10) / 10));

/** A worker's facts as (term, text) pairs, in the order of its details. */
const KNOWN_DETAILS = ['pid', 'cpu_allotment', 'cpu_limit', 'log'];
/** Local details too long for a chip: only under "Details". */
const LONG_DETAILS = ['cgroup'];

function workerFacts(worker: PoolWorker, now: Date): Array<[string, string]> {
  if (worker.launched_at === '') return [['Reason', worker.reason]];
  const details = worker.details ?? {};
  const facts: Array<[string, string]> = [
    ['Launched', formatDateTime(worker.launched_at, { seconds: true })],
    ['State since', `${formatDateTime(worker.state_since, { seconds: true })} (${formatSince(worker.state_since, now)})`],
    ['Reason', worker.reason === '' ? '—' : worker.reason],
  ];
  if ('pid' in details) facts.push(['PID', details['pid'] ?? '—']);
  if ('cpu_allotment' in details) facts.push(['CPU allotment', formatAllotment(details['cpu_allotment'])]);
  if ('cpu_limit' in details) facts.push(['CPU limit', details['cpu_limit'] ?? '—']);
  if ('log' in details) facts.push(['Log', details['log'] ?? '—']);
  facts.push(['Load balancer', balancerText(worker.balancer)]);
  for (const [key, value] of Object.entries(details)) {
    if (!KNOWN_DETAILS.includes(key)) facts.push([key.replace(/_/g, ' '), value]);
  }
  return facts;
}

/** The details other than the local pool's, as chips ("Instance type: t3.small"). */
function extraDetails(worker: PoolWorker): Array<[string, string]> {
  return Object.entries(worker.details ?? {})
    .filter(([key]) => !KNOWN_DETAILS.includes(key) && !LONG_DETAILS.includes(key))
    .map(([key, value]) => [key.replace(/_/g, ' '), value]);
}

function balancerText(balancer: PoolWorker['balancer'] | undefined): string {
  if (balancer === null || balancer === undefined) return 'not in the load balancer';
  const connections = balancer.active_connections === 1 ? 'connection' : 'connections';
  return (
    `${balancer.state}, ${balancer.healthy ? 'healthy' : 'not healthy'} (check ${balancer.check}), ` +
    `${balancer.active_connections} active ${connections}`
  );
}

function balancerBrief(balancer: PoolWorker['balancer'] | undefined): string {
  if (balancer === null || balancer === undefined) return 'not in the balancer';
  const state = balancer.state.toLowerCase();
  if (state === 'healthy' || (balancer.healthy && state === 'up')) return `balancer: ${state}`;
  return `balancer: ${state}, ${balancer.healthy ? 'healthy' : 'not healthy'}`;
}

/** One worker's row: built once, its texts updated on every refresh. */
class WorkerRow {
  readonly element: HTMLLIElement;
  private readonly swatch: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly address: HTMLElement;
  private readonly brief: HTMLElement;
  private readonly chips: HTMLElement;
  private readonly facts: HTMLElement;

  constructor(worker: PoolWorker) {
    const headingId = `worker-${worker.id}-heading`;
    const factsId = `worker-${worker.id}-facts`;
    this.swatch = h('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } });
    this.badge = h('span', { className: 'badge' });
    this.address = h('span', { className: 'worker-address' });
    this.brief = h('span', { className: 'worker-brief' });
    this.chips = h('ul', { className: 'chips', attrs: { 'aria-label': 'Details' } });
    this.facts = h('dl', { className: 'facts worker-facts', attrs: { id: factsId } });
    this.facts.hidden = true;
    // A disclosure button rather than <details>, so that the row stays one line high.
    const toggle = h(
      'button',
      { className: 'link-button worker-toggle', attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': factsId } },
      'Details',
      h('span', { className: 'visually-hidden' }, ` of ${worker.id}`),
    );
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      this.facts.hidden = !open;
    });
    this.element = h(
      'li',
      { className: 'worker', attrs: { 'data-worker-id': worker.id, 'aria-labelledby': headingId } },
      h(
        'div',
        { className: 'worker-line' },
        this.swatch,
        h('h3', { attrs: { id: headingId } }, h('span', { className: 'worker-id' }, worker.id), ' ', this.address),
        this.badge,
        this.brief,
        this.chips,
        toggle,
      ),
      this.facts,
    );
    this.update(worker, null, null, new Date());
  }

  update(worker: PoolWorker, colour: LineSpec | null, latest: { cpu: number | null; requests: number | null } | null, now: Date): void {
    this.element.dataset['state'] = worker.state;
    this.badge.className = `badge badge-${stateTone(worker.state)}`;
    this.badge.textContent = stateLabel(worker.state);
    this.address.textContent = worker.port === 0 ? '' : `${worker.address}:${worker.port}`;
    this.swatch.hidden = colour === null;
    if (colour !== null) {
      this.swatch.style.backgroundColor = colour.stroke;
      this.swatch.classList.toggle('dashed', colour.dash !== undefined);
    }
    const parts: string[] = [];
    if (worker.state_since !== '') parts.push(`${formatSince(worker.state_since, now).replace(/^for /, '')}`);
    if (latest !== null && isLive(worker.state)) parts.push(`CPU ${formatPercent(latest.cpu)}`, formatRate(latest.requests));
    if (isLive(worker.state)) parts.push(balancerBrief(worker.balancer));
    else if (worker.reason !== '') parts.push(worker.reason);
    this.brief.textContent = parts.join(' · ');
    this.brief.title = this.brief.textContent;
    const extra = extraDetails(worker);
    this.chips.hidden = extra.length === 0;
    // The value shows; its label is read out and shown on hover.
    replaceChildren(
      this.chips,
      ...extra.map(([label, value]) =>
        h('li', { className: 'chip', attrs: { title: `${label}: ${value}` } }, h('span', { className: 'visually-hidden' }, `${label}: `), value),
      ),
    );
    replaceChildren(
      this.facts,
      ...workerFacts(worker, now).flatMap(([term, value]) => [h('dt', {}, term), h('dd', term === 'Log' ? { className: 'log-path' } : {}, value)]),
    );
  }
}

class PoolPage {
  private readonly poolSection = byId('pool-section', HTMLElement);
  private readonly overview = byId('overview', HTMLElement);
  private readonly workersSection = byId('workers-section', HTMLElement);
  private readonly refreshStatus = byId('refresh-status', HTMLElement);
  private readonly refreshNote = byId('refresh-note', HTMLElement);
  private readonly lbLink = byId('lb-link', HTMLAnchorElement);
  private readonly lbKind = byId('lb-kind', HTMLElement);
  private readonly desired = byId('desired-size', HTMLElement);
  private readonly bounds = byId('size-bounds', HTMLElement);
  private readonly counts = byId('pool-counts', HTMLElement);
  private readonly cpuLimit = byId('cpu-limit', HTMLElement);
  private readonly cpuLimitNote = byId('cpu-limit-note', HTMLElement);
  private readonly growButton = byId('grow-button', HTMLButtonElement);
  private readonly shrinkButton = byId('shrink-button', HTMLButtonElement);
  private readonly sizeStatus = byId('size-status', HTMLElement);
  private readonly list = byId('worker-list', HTMLElement);
  private readonly earlier = byId('earlier-workers', HTMLDetailsElement);
  private readonly earlierSummary = byId('earlier-summary', HTMLElement);
  private readonly earlierList = byId('earlier-list', HTMLElement);
  private readonly workersCount = byId('workers-count', HTMLElement);
  private readonly rows = new Map<string, WorkerRow>();
  private charts: {
    size: TimeChart;
    cpu: TimeChart;
    requests: TimeChart;
    workersCpu: TimeChart;
    workersRequests: TimeChart;
  } | null = null;
  private markers: PoolMarker[] = [];
  private pool: Pool | null = null;
  private policy: ScalingPolicy | null = null;
  private decisions: Decision[] = [];
  private busy = false;
  private failing = false;
  readonly poller = new Poller(() => this.refresh(), REFRESH_MS);

  attach(): void {
    this.growButton.addEventListener('click', () => void this.resize('grow'));
    this.shrinkButton.addEventListener('click', () => void this.resize('shrink'));
  }

  /** One refresh: the pool, then the rest; a failure keeps what is shown and says so. */
  async refresh(): Promise<void> {
    let pool: Pool;
    let metrics: Metrics | null;
    try {
      pool = await managerApi.pool();
      // The charts are worth less than the list: a failed call draws gaps or leaves marks out.
      const [m, policy, decisions] = await Promise.all([
        managerApi.metrics(WINDOW_MINUTES).catch(() => null),
        managerApi.policy().catch(() => this.policy),
        managerApi.decisions(DECISIONS_READ).catch(() => this.decisions),
      ]);
      metrics = m;
      this.policy = policy;
      this.decisions = decisions;
    } catch (error) {
      if (this.pool === null) showPageError(error);
      else setStatus(this.refreshStatus, `Could not refresh: ${messageOf(error)} Retrying every 5 seconds.`, 'error');
      this.failing = true;
      return;
    }
    if (this.failing) {
      setStatus(this.refreshStatus, '');
      this.failing = false;
    }
    this.render(pool, metrics);
  }

  private render(pool: Pool, metrics: Metrics | null): void {
    this.pool = pool;
    this.poolSection.hidden = false;
    this.overview.hidden = false;
    this.workersSection.hidden = false;

    const entry = safeEntryUrl(pool.load_balancer.entry_url);
    replaceChildren(this.lbLink, addressText(pool.load_balancer.entry_url));
    if (entry !== null) this.lbLink.href = entry;
    else this.lbLink.removeAttribute('href');
    this.lbKind.textContent = pool.load_balancer.kind === '' ? '' : `(${pool.load_balancer.kind})`;
    this.desired.textContent = workersText(pool.desired_size);
    this.bounds.textContent = `(manual changes ${pool.bounds.min} to ${pool.bounds.max})`;
    this.counts.textContent = countsText(pool.counts);
    this.cpuLimit.textContent = `${pool.cpu_limit.mechanism}, ${formatAllotment(pool.cpu_limit.allotment_cpus)} per worker`;
    this.cpuLimitNote.textContent = pool.cpu_limit.note;
    if (!this.busy) this.updateButtons();

    const now = nowSeconds();
    const all = [...pool.workers, ...earlierWorkers(pool, metrics)];
    const live = all.filter((w) => isLive(w.state));
    const finished = all.filter((w) => !isLive(w.state));
    // A line for every live worker, and for every stopped one with data in the window.
    const measured = new Set(
      (metrics?.workers ?? []).filter((w) => summarize(w.cpu_percent).measured + summarize(w.requests_per_minute).measured > 0).map((w) => w.id),
    );
    const charted = [...live, ...finished.filter((w) => measured.has(w.id))];
    const lines = charted.map((w, index) => workerLine(index, w.id));
    const lineOf = new Map(charted.map((w, index) => [w.id, lines[index]!]));

    this.markers = poolMarkers(pool.workers, this.decisions, now - WINDOW_MINUTES * MINUTE_SECONDS, now + MINUTE_SECONDS);
    this.renderCharts(metrics, charted.map((w) => w.id), lines, now);

    const latest = new Map(
      (metrics?.workers ?? []).map((w) => [w.id, { cpu: summarize(w.cpu_percent).latest, requests: summarize(w.requests_per_minute).latest }]),
    );
    this.renderRows(this.list, live, lineOf, latest);
    this.renderRows(this.earlierList, finished, lineOf, latest);
    this.earlier.hidden = finished.length === 0;
    this.earlierSummary.textContent = `${plural(finished.length, 'stopped worker')}, of this run and earlier ones`;

    this.workersCount.textContent =
      finished.length === 0 ? `${workersText(live.length)} running` : `${workersText(live.length)} running, ${finished.length} stopped`;
    if (live.length === 0 && this.list.querySelector(':scope > .empty') === null) {
      this.list.appendChild(h('li', { className: 'empty' }, 'No workers running.'));
    } else if (live.length > 0) {
      this.list.querySelector(':scope > .empty')?.remove();
    }
    this.refreshNote.textContent = `Updated ${formatClock(new Date())}; refreshes every 5 seconds.`;
  }

  private renderCharts(metrics: Metrics | null, ids: string[], lines: LineSpec[], now: number): void {
    const thresholds = this.policy === null ? null : { grow: this.policy.grow_threshold, shrink: this.policy.shrink_threshold };
    const overview = overviewData(metrics, thresholds, now, WINDOW_MINUTES);
    const workersCpu = perWorkerData(metrics, ids, 'cpu_percent', now, WINDOW_MINUTES);
    const workersRequests = perWorkerData(metrics, ids, 'requests_per_minute', now, WINDOW_MINUTES);
    if (this.charts === null) {
      const markers = () => this.markers;
      const specs = chartSpecs(markers);
      this.charts = {
        size: new TimeChart(byId('size-chart', HTMLElement), specs.size, overview.size),
        cpu: new TimeChart(byId('pool-cpu-chart', HTMLElement), specs.cpu, overview.cpu),
        requests: new TimeChart(byId('pool-requests-chart', HTMLElement), specs.requests, overview.requests),
        workersCpu: new TimeChart(byId('workers-cpu-chart', HTMLElement), { ...specs.workersCpu, lines }, workersCpu),
        workersRequests: new TimeChart(byId('workers-requests-chart', HTMLElement), { ...specs.workersRequests, lines }, workersRequests),
      };
      return;
    }
    this.charts.size.update(overview.size);
    this.charts.cpu.update(overview.cpu);
    this.charts.requests.update(overview.requests);
    this.charts.workersCpu.setLines(lines, workersCpu);
    this.charts.workersRequests.setLines(lines, workersRequests);
  }

  private renderRows(
    list: HTMLElement,
    workers: PoolWorker[],
    lineOf: Map<string, LineSpec>,
    latest: Map<string, { cpu: number | null; requests: number | null }>,
  ): void {
    const now = new Date();
    let previous: Element | null = null;
    for (const worker of workers) {
      let row = this.rows.get(worker.id);
      if (row === undefined) {
        row = new WorkerRow(worker);
        this.rows.set(worker.id, row);
      }
      row.update(worker, lineOf.get(worker.id) ?? null, latest.get(worker.id) ?? null, now);
      // Keep the server's order (oldest first) without moving rows that are in place.
      const wanted: Element | null = previous === null ? list.firstElementChild : previous.nextElementSibling;
      if (wanted !== row.element) list.insertBefore(row.element, wanted);
      previous = row.element;
    }
    const ids = new Set(workers.map((w) => w.id));
    for (const child of [...list.children]) {
      const id = (child as HTMLElement).dataset['workerId'];
      if (id !== undefined && !ids.has(id)) {
        // Gone, or moved to the other list (where a new row is made).
        child.remove();
        this.rows.delete(id);
      }
    }
  }

  private updateButtons(): void {
    if (this.pool === null) return;
    const { canGrow, canShrink } = sizeButtons(this.pool.desired_size, this.pool.bounds);
    this.growButton.disabled = !canGrow;
    this.shrinkButton.disabled = !canShrink;
    this.growButton.title = canGrow ? '' : `The pool is at its maximum (${this.pool.bounds.max}).`;
    this.shrinkButton.title = canShrink ? '' : `The pool is at its minimum (${this.pool.bounds.min}).`;
  }

  private async resize(direction: 'grow' | 'shrink'): Promise<void> {
    const button = direction === 'grow' ? this.growButton : this.shrinkButton;
    this.busy = true;
    this.growButton.disabled = true;
    this.shrinkButton.disabled = true;
    setBusy(button, true, direction === 'grow' ? 'Growing…' : 'Shrinking…');
    try {
      const answer = direction === 'grow' ? await managerApi.grow() : await managerApi.shrink();
      if (this.pool !== null) this.pool.desired_size = answer.desired_size;
      this.desired.textContent = workersText(answer.desired_size);
      setStatus(
        this.sizeStatus,
        direction === 'grow'
          ? `Growing: the desired size is now ${workersText(answer.desired_size)}. A new worker is in service once it answers its health check.`
          : `Shrinking: the desired size is now ${workersText(answer.desired_size)}. The newest worker is drained before it stops.`,
        'success',
      );
    } catch (error) {
      setStatus(this.sizeStatus, messageOf(error), 'error');
    } finally {
      setBusy(button, false);
      this.busy = false;
      this.updateButtons();
      this.poller.now();
    }
  }
}

function chartSpecs(markers: () => ReadonlyArray<PoolMarker>): Record<'size' | 'cpu' | 'requests' | 'workersCpu' | 'workersRequests', ChartSpec> {
  return {
    size: {
      title: 'Workers in service',
      summaryName: 'Workers in service',
      yLabel: 'workers',
      lines: [{ label: 'in service', stroke: '#1f5fbf', fill: 'rgba(31, 95, 191, 0.12)', stepped: true }],
      floor: 2,
      format: workerCount,
      height: CHART_HEIGHT,
      wholeNumbers: true,
      markers,
      syncKey: 'pool',
    },
    cpu: {
      title: 'Average CPU, % of allotment',
      summaryName: 'Average CPU % of allotment',
      yLabel: 'CPU %',
      lines: [
        { label: 'average', stroke: '#1f5fbf', fill: 'rgba(31, 95, 191, 0.10)' },
        { label: 'grow at', stroke: '#b8202d', dash: [5, 4], reference: true },
        { label: 'shrink at', stroke: '#12691b', dash: [5, 4], reference: true },
      ],
      floor: 100,
      format: formatPercent,
      height: CHART_HEIGHT,
      markers,
      syncKey: 'pool',
    },
    requests: {
      title: 'Requests to the pool',
      summaryName: 'Requests per minute, all workers',
      yLabel: 'requests / min',
      lines: [{ label: 'requests', stroke: '#12691b', fill: 'rgba(18, 105, 27, 0.10)' }],
      floor: 10,
      format: formatRate,
      height: CHART_HEIGHT,
      markers,
      syncKey: 'pool',
    },
    workersCpu: {
      title: 'CPU per worker, % of allotment',
      summaryName: 'CPU % of allotment',
      yLabel: 'CPU %',
      lines: [],
      floor: 100,
      format: formatPercent,
      height: CHART_HEIGHT,
      summarizeAll: true,
      syncKey: 'workers',
    },
    workersRequests: {
      title: 'Requests per worker',
      summaryName: 'Requests per minute',
      yLabel: 'requests / min',
      lines: [],
      floor: 10,
      format: formatRate,
      height: CHART_HEIGHT,
      summarizeAll: true,
      syncKey: 'workers',
    },
  };
}

export async function init(): Promise<void> {
  const session = await startManagerPage('pool');
  if (session === null) return;
  const page = new PoolPage();
  page.attach();
  await page.refresh();
  page.poller.start({ immediately: false });
}
