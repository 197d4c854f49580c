// Building and reading the addresses the worker's pages use. Pure functions: no access to
// `location` here, the callers pass what they read from it.

import { loginPathFor } from '../common/urls';
import { HISTORY_LISTS, type HistoryList } from './types';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function isHistoryList(value: string | null): value is HistoryList {
  return value !== null && (HISTORY_LISTS as readonly string[]).includes(value);
}

/** The worker's main page: where a login goes when no ?next= says otherwise. */
export const HOME_PATH = '/upload';

/** `/login?next=...` for the page at `pathAndQuery`. */
export function loginPath(pathAndQuery: string): string {
  return loginPathFor(pathAndQuery, HOME_PATH);
}

export interface HistoryParams {
  /** null when the address names none (or a wrong one): the page then shows all. */
  category: HistoryList | null;
  page: number;
}

function parsePage(raw: string | null): number {
  if (raw === null || !/^\d{1,6}$/.test(raw)) return 1;
  const page = Number(raw);
  return page >= 1 ? page : 1;
}

/** Reads `?category=C&page=P`; a missing or wrong page is 1. */
export function parseHistoryParams(search: string): HistoryParams {
  const params = new URLSearchParams(search);
  const category = params.get('category');
  return {
    category: isHistoryList(category) ? category : null,
    page: parsePage(params.get('page')),
  };
}

/**
 * The history page's own address: `/history?category=C&page=P` (page 1 left out;
 * all photos, the page's first list, without a category).
 */
export function historyPath(list: HistoryList, page = 1): string {
  const params = new URLSearchParams(list === 'all' ? {} : { category: list });
  if (page > 1) params.set('page', String(page));
  const query = params.toString();
  return query === '' ? '/history' : `/history?${query}`;
}

/** The API's list query: `/api/v1/images?category=C&page=P&page_size=S`. */
export function imagesListPath(category: HistoryList, page: number, pageSize = DEFAULT_PAGE_SIZE): string {
  const size = Math.min(Math.max(Math.trunc(pageSize), 1), MAX_PAGE_SIZE);
  const params = new URLSearchParams({
    category,
    page: String(Math.max(Math.trunc(page), 1)),
    page_size: String(size),
  });
  return `/api/v1/images?${params.toString()}`;
}

/** Pages needed for `total` items; at least 1, so that "page 1 of 1" reads well. */
export function pageCount(total: number, pageSize: number): number {
  if (total <= 0 || pageSize <= 0) return 1;
  return Math.ceil(total / pageSize);
}

function idSegment(id: number | string): string {
  return encodeURIComponent(String(id));
}

export function imageDetailPath(id: number | string): string {
  return `/images/${idSegment(id)}`;
}

export function imageApiPath(id: number | string): string {
  return `/api/v1/images/${idSegment(id)}`;
}

export function userApiPath(id: number | string): string {
  return `/api/v1/users/${idSegment(id)}`;
}

/** The id in `/images/{id}`, or null when the path is not one. */
export function imageIdFromPath(pathname: string): number | null {
  const match = /^\/images\/(\d{1,15})\/?$/.exec(pathname);
  if (match === null || match[1] === undefined) return null;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

export type ImageVariant = 'original' | 'annotated' | 'thumbnail';

/**
 * The address of one of an image's pictures. The server's `urls` are used when
 * they are paths of this site; anything else (another origin, a `javascript:`
 * or `data:` address) is replaced by the documented route.
 */
export function imageVariantUrl(
  id: number,
  variant: ImageVariant,
  urls?: Partial<Record<ImageVariant, unknown>>,
): string {
  const given = urls?.[variant];
  if (typeof given === 'string' && given.startsWith('/') && !given.startsWith('//') && !given.includes('\\')) {
    return given;
  }
  return `${imageApiPath(id)}/${variant}`;
}

/** The reset token from `/reset?token=T`, or null. */
export function resetTokenFromSearch(search: string): string | null {
  const token = new URLSearchParams(search).get('token');
  return token !== null && token.trim() !== '' ? token.trim() : null;
}
