// / (manager): the pool. Its size and entry, the grow and shrink buttons, the
// pool-size chart, and the live worker list with two charts per worker. Every 5
// seconds GET /api/v1/pool and /api/v1/metrics refresh it in place: worker cards
// are kept by id and their charts only get new data; a worker that leaves the
// list loses its card (and its charts are destroyed).

import { addressText, byId, h, replaceChildren, setBusy, setStatus } from '../../common/dom';
import { formatClock, formatDateTime } from '../../common/format';
import { managerApi } from '../api';
import { TimeChart, type ChartSpec } from '../charts';
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
import { earlierWorkers, poolSizeData, workerData } from '../series';
import type { Metrics, Pool, PoolWorker } from '../types';
import { safeEntryUrl } from '../urls';

/** The charts' span (docs/manager.md: the past 30 minutes, 1-minute points). */
const WINDOW_MINUTES = 30;

const POOL_CHART: ChartSpec = {
  title: 'Workers',
  summaryName: 'Workers in service',
  yLabel: 'workers',
  lines: [
    { label: 'in service', stroke: '#1f5fbf', fill: 'rgba(31, 95, 191, 0.12)', stepped: true },
    { label: 'starting', stroke: '#b35c00', dash: [6, 4], stepped: true },
  ],
  floor: 2,
  format: (value) => (value === null ? '—' : String(Math.round(value * 10) / 10)),
  height: 220,
  legend: true,
  wholeNumbers: true,
};

const CPU_CHART: ChartSpec = {
  title: 'CPU',
  summaryName: 'CPU % of allotment',
  yLabel: 'CPU % of allotment',
  lines: [{ label: 'CPU', stroke: '#1f5fbf', fill: 'rgba(31, 95, 191, 0.10)' }],
  floor: 100,
  format: formatPercent,
  height: 210,
};

const REQUESTS_CHART: ChartSpec = {
  title: 'Requests',
  summaryName: 'Requests per minute',
  yLabel: 'requests / min',
  lines: [{ label: 'requests', stroke: '#12691b', fill: 'rgba(18, 105, 27, 0.10)' }],
  floor: 10,
  format: formatRate,
  height: 210,
};

function nowSeconds(): number {
  return Date.now() / 1000;
}

/** One worker's card: built once, its texts and charts updated on every refresh. */
class WorkerCard {
  readonly element: HTMLLIElement;
  private readonly badge: HTMLElement;
  private readonly address: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly cpuFigure: HTMLElement;
  private readonly requestsFigure: HTMLElement;
  /** Made by attachCharts(), once the card is in the page and has a width. */
  private charts: { cpu: TimeChart; requests: TimeChart } | null = null;
  private metrics: Metrics | null;

  constructor(
    private worker: PoolWorker,
    metrics: Metrics | null,
  ) {
    this.metrics = metrics;
    const headingId = `worker-${worker.id}-heading`;
    this.badge = h('span', { className: 'badge' });
    this.address = h('span', { className: 'worker-address' });
    this.facts = h('dl', { className: 'facts worker-facts' });
    this.cpuFigure = h('figure', { className: 'chart-figure', attrs: { 'data-chart': 'cpu' } });
    this.requestsFigure = h('figure', { className: 'chart-figure', attrs: { 'data-chart': 'requests' } });
    this.element = h(
      'li',
      { className: 'card worker', attrs: { 'data-worker-id': worker.id, 'aria-labelledby': headingId } },
      h(
        'div',
        { className: 'worker-head' },
        h('h3', { attrs: { id: headingId } }, h('span', { className: 'worker-id' }, worker.id), ' ', this.address),
        this.badge,
      ),
      h(
        'div',
        { className: 'worker-body' },
        this.facts,
        h('div', { className: 'worker-charts' }, this.cpuFigure, this.requestsFigure),
      ),
    );
    this.update(worker, metrics);
  }

  attachCharts(): void {
    if (this.charts !== null) return;
    const data = workerData(this.metrics, this.worker.id, nowSeconds(), WINDOW_MINUTES);
    this.charts = {
      cpu: new TimeChart(this.cpuFigure, CPU_CHART, data.cpu),
      requests: new TimeChart(this.requestsFigure, REQUESTS_CHART, data.requests),
    };
  }

  update(worker: PoolWorker, metrics: Metrics | null): void {
    this.worker = worker;
    this.metrics = metrics;
    this.element.dataset['state'] = worker.state;
    this.badge.className = `badge badge-${stateTone(worker.state)}`;
    this.badge.textContent = stateLabel(worker.state);
    this.address.textContent = worker.port === 0 ? '' : `${worker.address}:${worker.port}`;
    replaceChildren(
      this.facts,
      ...workerFacts(worker, new Date()).flatMap(([term, value]) => [
        h('dt', {}, term),
        h('dd', term === 'Log' ? { className: 'log-path' } : {}, value),
      ]),
    );
    if (this.charts !== null) {
      const data = workerData(metrics, worker.id, nowSeconds(), WINDOW_MINUTES);
      this.charts.cpu.update(data.cpu);
      this.charts.requests.update(data.requests);
    }
  }

  destroy(): void {
    this.charts?.cpu.destroy();
    this.charts?.requests.destroy();
    this.charts = null;
    this.element.remove();
  }
}

const KNOWN_DETAILS = ['pid', 'cpu_allotment', 'cpu_limit', 'log'];

/** A worker's facts as (term, text) pairs, in the order of the card. */
function workerFacts(worker: PoolWorker, now: Date): Array<[string, string]> {
  if (worker.launched_at === '') return [['Reason', worker.reason]];
  const details = worker.details ?? {};
  const balancer = worker.balancer;
  const facts: Array<[string, string]> = [
    ['Launched', formatDateTime(worker.launched_at, { seconds: true })],
    ['State since', `${formatDateTime(worker.state_since, { seconds: true })} (${formatSince(worker.state_since, now)})`],
    ['Reason', worker.reason === '' ? '—' : worker.reason],
    ['PID', details['pid'] ?? '—'],
    ['CPU allotment', formatAllotment(details['cpu_allotment'])],
    ['CPU limit', details['cpu_limit'] ?? '—'],
    ['Log', details['log'] ?? '—'],
    ['Load balancer', balancerText(balancer)],
  ];
  for (const [key, value] of Object.entries(details)) {
    if (!KNOWN_DETAILS.includes(key)) facts.push([key.replace(/_/g, ' '), value]);
  }
  return facts;
}

function balancerText(balancer: PoolWorker['balancer'] | undefined): string {
  if (balancer === null || balancer === undefined) return 'not in the load balancer';
  const connections = balancer.active_connections === 1 ? 'connection' : 'connections';
  return (
    `${balancer.state}, ${balancer.healthy ? 'healthy' : 'not healthy'} (check ${balancer.check}), ` +
    `${balancer.active_connections} active ${connections}`
  );
}

class PoolPage {
  private readonly poolSection = byId('pool-section', HTMLElement);
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
  private readonly workersCount = byId('workers-count', HTMLElement);
  private readonly cards = new Map<string, WorkerCard>();
  private sizeChart: TimeChart | null = null;
  private pool: Pool | null = null;
  private busy = false;
  private failing = false;
  readonly poller = new Poller(() => this.refresh(), REFRESH_MS);

  attach(): void {
    this.growButton.addEventListener('click', () => void this.resize('grow'));
    this.shrinkButton.addEventListener('click', () => void this.resize('shrink'));
  }

  /** One refresh: both answers, then the page; a failure keeps what is shown and says so. */
  async refresh(): Promise<void> {
    let pool: Pool;
    let metrics: Metrics | null;
    try {
      pool = await managerApi.pool();
      // The charts are worth less than the list: a failed metrics call draws gaps.
      metrics = await managerApi.metrics(WINDOW_MINUTES).catch(() => null);
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

    const sizeData = poolSizeData(metrics, nowSeconds(), WINDOW_MINUTES);
    if (this.sizeChart === null) this.sizeChart = new TimeChart(byId('size-chart', HTMLElement), POOL_CHART, sizeData);
    else this.sizeChart.update(sizeData);

    this.renderWorkers([...pool.workers, ...earlierWorkers(pool, metrics)], metrics);
    this.refreshNote.textContent = `Updated ${formatClock(new Date())}; refreshes every 5 seconds.`;
  }

  private renderWorkers(workers: PoolWorker[], metrics: Metrics | null): void {
    const seen = new Set<string>();
    const created: WorkerCard[] = [];
    let previous: Element | null = null;
    for (const worker of workers) {
      seen.add(worker.id);
      let card = this.cards.get(worker.id);
      if (card === undefined) {
        card = new WorkerCard(worker, metrics);
        this.cards.set(worker.id, card);
        created.push(card);
      } else {
        card.update(worker, metrics);
      }
      // Keep the server's order (oldest first) without moving cards that are in place.
      const wanted: Element | null = previous === null ? this.list.firstElementChild : previous.nextElementSibling;
      if (wanted !== card.element) this.list.insertBefore(card.element, wanted);
      previous = card.element;
    }
    for (const [id, card] of this.cards) {
      if (!seen.has(id)) {
        card.destroy();
        this.cards.delete(id);
      }
    }
    for (const card of created) card.attachCharts();
    const live = workers.filter((w) => isLive(w.state)).length;
    const finished = workers.length - live;
    this.workersCount.textContent =
      finished === 0 ? `${workersText(live)} running` : `${workersText(live)} running, ${finished} finished`;
    if (workers.length === 0 && this.list.querySelector('.empty') === null) {
      this.list.appendChild(h('li', { className: 'empty' }, 'No workers yet.'));
    } else if (workers.length > 0) {
      this.list.querySelector(':scope > .empty')?.remove();
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

export async function init(): Promise<void> {
  const session = await startManagerPage('pool');
  if (session === null) return;
  const page = new PoolPage();
  page.attach();
  await page.refresh();
  page.poller.start({ immediately: false });
}
