// The worker's values as text for people: categories, sizes, counts and photo
// names. Pure functions. (Plurals, messages and times: ../common/format.ts.)

import { plural } from '../common/format';
import type { HistoryList } from './types';

export const CATEGORY_LABELS: Readonly<Record<HistoryList, string>> = {
  all: 'All photos',
  no_faces: 'No faces',
  all_masked: 'All masked',
  none_masked: 'None masked',
  some_masked: 'Some masked',
};

export function categoryLabel(category: HistoryList): string {
  return CATEGORY_LABELS[category];
}

/** 1536 -> "1.5 KB", 10485760 -> "10 MB" (binary multiples, as the upload limit). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return plural(bytes, 'byte');
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const rounded = value >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${rounded} ${units[unit]}`;
}

/** A detector confidence (0..1) as "97%". */
export function formatConfidence(confidence: number): string {
  if (!Number.isFinite(confidence)) return '';
  const clamped = Math.min(Math.max(confidence, 0), 1);
  return `${Math.round(clamped * 100)}%`;
}

/** Upload progress as a whole percentage, 0..100; 0 when the total is unknown. */
export function progressPercent(loaded: number, total: number): number {
  if (!(total > 0) || !(loaded >= 0)) return 0;
  return Math.min(100, Math.floor((loaded / total) * 100));
}

/** "640 × 480". */
export function formatDimensions(width: number, height: number): string {
  return `${width} × ${height}`;
}

/** One line summing up a detection, for status messages and alt texts. */
export function summarizeCounts(numFaces: number, numMasked: number, numUnmasked: number): string {
  if (numFaces === 0) return 'No faces found';
  return `${plural(numFaces, 'face')} found: ${numMasked} masked, ${numUnmasked} unmasked`;
}

/** `text` cut to `max` characters, with an ellipsis when cut. */
export function shortName(text: string, max = 60): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * What to call a photo: the file name of an upload as it was given; for a URL,
 * the last segment of its path (else its host); shortened to `max` characters.
 */
export function photoName(source: 'upload' | 'url', sourceName: string, fallback: string, max = 60): string {
  let name = sourceName.trim();
  if (source === 'url' && name !== '') {
    try {
      const url = new URL(name);
      const segments = url.pathname.split('/').filter((s) => s !== '');
      const last = segments[segments.length - 1];
      name = last !== undefined ? safeDecode(last) : url.host;
    } catch {
      // Not a URL after all: show it as it is.
    }
  }
  return shortName(name === '' ? fallback : name, max);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
