// /history?category=C&page=P: "All photos" and the four lists as tabs, each with
// its count (links that keep the address bookmarkable; switching is done in place
// with history.pushState), a grid of thumbnails, newest first, and paging. Each
// thumbnail links to its detail page. Without a category the page shows all photos.

import { byId, clearStatus, h, replaceChildren } from '../../common/dom';
import { formatDateTime, plural } from '../../common/format';
import { api } from '../api';
import { categoryLabel, photoName } from '../format';
import { pageStatus, showPageError, startAuthenticatedPage } from '../layout';
import { CATEGORIES, HISTORY_LISTS, type HistoryList, type Image, type ImageList } from '../types';
import { DEFAULT_PAGE_SIZE, historyPath, imageDetailPath, imageVariantUrl, pageCount, parseHistoryParams } from '../urls';

export async function init(): Promise<void> {
  if ((await startAuthenticatedPage('history')) === null) return;
  const page = new HistoryPage();
  page.attach();
  await page.start();
}

class HistoryPage {
  private readonly tabs = byId('tabs', HTMLElement);
  private readonly heading = byId('list-heading', HTMLElement);
  private readonly summary = byId('list-summary', HTMLElement);
  private readonly grid = byId('grid', HTMLElement);
  private readonly pager = byId('pager', HTMLElement);
  private readonly totals = new Map<HistoryList, number>();
  private category: HistoryList = 'all';
  private loadCount = 0;
  private failed = false;

  attach(): void {
    window.addEventListener('popstate', () => {
      const params = parseHistoryParams(location.search);
      void this.load(params.category ?? 'all', params.page, false);
    });
  }

  /** First load: the totals of the four lists (all photos: their sum), then the list the address names, or all. */
  async start(): Promise<void> {
    const params = parseHistoryParams(location.search);
    this.renderTabs();
    try {
      const totals = await Promise.all(CATEGORIES.map(async (c) => (await api.listImages(c, 1, 1)).total));
      CATEGORIES.forEach((category, i) => this.totals.set(category, totals[i] ?? 0));
      this.totals.set('all', totals.reduce((a, b) => a + b, 0));
    } catch (error) {
      showPageError(error);
      return;
    }
    await this.load(params.category ?? 'all', params.page, false);
  }

  private async load(category: HistoryList, page: number, push: boolean): Promise<void> {
    const ticket = ++this.loadCount;
    this.category = category;
    this.renderTabs();
    this.grid.setAttribute('aria-busy', 'true');
    let list: ImageList;
    try {
      list = await api.listImages(category, page, DEFAULT_PAGE_SIZE);
      const pages = pageCount(list.total, list.page_size);
      if (list.total > 0 && page > pages) {
        // Past the end (items were deleted since the link was made): show the last page.
        list = await api.listImages(category, pages, DEFAULT_PAGE_SIZE);
      }
    } catch (error) {
      if (ticket === this.loadCount) {
        showPageError(error);
        this.failed = true;
      }
      return;
    } finally {
      if (ticket === this.loadCount) this.grid.removeAttribute('aria-busy');
    }
    if (ticket !== this.loadCount) return; // A later click won.
    this.totals.set(category, list.total);
    if (push) history.pushState(null, '', historyPath(category, list.page));
    else if (list.page !== page) history.replaceState(null, '', historyPath(category, list.page));
    this.renderTabs();
    this.renderList(list);
    // A failure of an earlier load is over; any other message (a flash) stays.
    if (this.failed) clearStatus(pageStatus());
    this.failed = false;
    document.title = `${categoryLabel(category)} · History · maskfleet`;
  }

  /** The tab links, made once so that keyboard focus stays on them while lists change. */
  private tabLinks: Map<HistoryList, { link: HTMLAnchorElement; count: HTMLElement }> | null = null;

  private renderTabs(): void {
    if (this.tabLinks === null) {
      const made = new Map<HistoryList, { link: HTMLAnchorElement; count: HTMLElement }>();
      const items = HISTORY_LISTS.map((category) => {
        const count = h('span', { className: 'tab-count', attrs: { hidden: true } });
        const link = h(
          'a',
          { className: 'tab', attrs: { href: historyPath(category), 'data-category': category } },
          h('span', {}, categoryLabel(category)),
          count,
        );
        link.addEventListener('click', (event) => {
          if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
          event.preventDefault();
          void this.load(category, 1, true);
        });
        made.set(category, { link, count });
        return h('li', {}, link);
      });
      replaceChildren(this.tabs, h('ul', { className: 'tab-list' }, ...items));
      this.tabLinks = made;
    }
    for (const [category, { link, count }] of this.tabLinks) {
      if (category === this.category) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
      const total = this.totals.get(category);
      if (total === undefined) continue;
      replaceChildren(
        count,
        h('span', { className: 'visually-hidden' }, ', '),
        String(total),
        h('span', { className: 'visually-hidden' }, total === 1 ? ' photo' : ' photos'),
      );
      count.hidden = false;
    }
  }

  private renderList(list: ImageList): void {
    const label = categoryLabel(this.category);
    this.heading.textContent = label;
    const pages = pageCount(list.total, list.page_size);
    if (list.total === 0) {
      this.summary.textContent = '';
      replaceChildren(
        this.grid,
        h(
          'li',
          { className: 'empty' },
          h(
            'p',
            {},
            [...this.totals.values()].every((total) => total === 0)
              ? 'You have not checked any photos yet. Each one you upload is kept here, in one of the four lists by its faces.'
              : `No photos in “${label}” yet.`,
          ),
          h('a', { className: 'button secondary', attrs: { href: '/upload' } }, 'Upload a photo'),
        ),
      );
      replaceChildren(this.pager);
      return;
    }
    const first = (list.page - 1) * list.page_size + 1;
    const last = first + list.images.length - 1;
    this.summary.textContent = `${first}–${last} of ${plural(list.total, 'photo')}, newest first`;
    replaceChildren(this.grid, ...list.images.map((image) => thumbnail(image)));
    this.renderPager(list.page, pages);
  }

  private renderPager(page: number, pages: number): void {
    if (pages <= 1) {
      replaceChildren(this.pager);
      return;
    }
    const pageLink = (target: number, text: string, rel: string) => {
      const enabled = target >= 1 && target <= pages && target !== page;
      if (!enabled) {
        return h('span', { className: 'button secondary', attrs: { 'aria-disabled': 'true' } }, text);
      }
      const link = h('a', { className: 'button secondary', attrs: { href: historyPath(this.category, target), rel } }, text);
      link.addEventListener('click', (event) => {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        void this.load(this.category, target, true).then(() => this.heading.focus());
      });
      return link;
    };
    replaceChildren(
      this.pager,
      pageLink(page - 1, '← Previous', 'prev'),
      h('span', { className: 'pager-position' }, `Page ${page} of ${pages}`),
      pageLink(page + 1, 'Next →', 'next'),
    );
  }
}

function thumbnail(image: Image): HTMLElement {
  const counts =
    image.num_faces === 0
      ? [h('span', { className: 'muted' }, 'No faces')]
      : [
          image.num_masked > 0 ? h('span', { className: 'tag tag-masked' }, `${image.num_masked} masked`) : null,
          image.num_unmasked > 0 ? h('span', { className: 'tag tag-unmasked' }, `${image.num_unmasked} unmasked`) : null,
        ];
  // The link's text names the photo, so the picture itself is decorative (alt="").
  return h(
    'li',
    { className: 'thumb' },
    h(
      'a',
      { attrs: { href: imageDetailPath(image.id) } },
      h(
        'span',
        { className: 'thumb-picture' },
        h('img', {
          attrs: { src: imageVariantUrl(image.id, 'thumbnail', image.urls), alt: '', loading: 'lazy', decoding: 'async' },
        }),
      ),
      h('span', { className: 'thumb-name', attrs: { title: image.source_name || undefined } }, photoName(image.source, image.source_name, `Photo ${image.id}`, 120)),
      h('span', { className: 'thumb-counts' }, ...counts),
      h('time', { className: 'muted', attrs: { datetime: image.created_at } }, formatDateTime(image.created_at)),
    ),
  );
}
