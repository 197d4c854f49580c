import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { asSentence, formatDateTime, plural, timeZoneLabel } from '../src/common/format';
import {
  categoryLabel,
  formatBytes,
  formatConfidence,
  formatDimensions,
  progressPercent,
  photoName,
  shortName,
  summarizeCounts,
} from '../src/worker/format';

describe('format', () => {
  it('labels the four categories', () => {
    assert.equal(categoryLabel('no_faces'), 'No faces');
    assert.equal(categoryLabel('all_masked'), 'All masked');
    assert.equal(categoryLabel('none_masked'), 'None masked');
    assert.equal(categoryLabel('some_masked'), 'Some masked');
  });

  it('pluralises', () => {
    assert.equal(plural(1, 'face'), '1 face');
    assert.equal(plural(0, 'face'), '0 faces');
    assert.equal(plural(2, 'person', 'people'), '2 people');
  });

  it('formats sizes in binary units', () => {
    assert.equal(formatBytes(0), '0 bytes');
    assert.equal(formatBytes(1), '1 byte');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(10 * 1024 * 1024), '10 MB');
    assert.equal(formatBytes(250 * 1024), '250 KB');
    assert.equal(formatBytes(-1), '');
  });

  it('formats confidence and progress as whole percentages within bounds', () => {
    assert.equal(formatConfidence(0.974), '97%');
    assert.equal(formatConfidence(1.2), '100%');
    assert.equal(formatConfidence(Number.NaN), '');
    assert.equal(progressPercent(50, 200), 25);
    assert.equal(progressPercent(300, 200), 100);
    assert.equal(progressPercent(10, 0), 0);
  });

  it('formats server times one way: day month year, 24-hour clock, the zone', () => {
    assert.equal(formatDateTime('2026-11-27T21:05:00Z', { timeZone: 'UTC' }), '27 Nov 2026, 21:05 UTC');
    assert.equal(formatDateTime('2026-11-27T21:05:00Z', { timeZone: 'Europe/Berlin' }), '27 Nov 2026, 22:05 CET');
    // Afternoon and midnight on a 24-hour clock, whatever zone: never "PM", never "24:00".
    assert.equal(formatDateTime('2026-11-27T21:05:00Z', { timeZone: 'America/New_York' }), '27 Nov 2026, 16:05 GMT-5');
    assert.equal(formatDateTime('2026-11-28T00:00:09Z', { timeZone: 'UTC', seconds: true }), '28 Nov 2026, 00:00:09 UTC');
    assert.equal(formatDateTime('not a date'), 'not a date');
  });

  it('names the zone times are written in', () => {
    assert.equal(timeZoneLabel(new Date('2026-11-27T21:05:00Z'), 'UTC'), 'UTC');
    // The name follows summer time.
    assert.equal(timeZoneLabel(new Date('2026-11-27T21:05:00Z'), 'Europe/Berlin'), 'CET');
    assert.equal(timeZoneLabel(new Date('2026-07-01T12:00:00Z'), 'Europe/Berlin'), 'CEST');
  });

  it('summarises counts', () => {
    assert.equal(summarizeCounts(0, 0, 0), 'No faces found');
    assert.equal(summarizeCounts(1, 1, 0), '1 face found: 1 masked, 0 unmasked');
    assert.equal(summarizeCounts(3, 2, 1), '3 faces found: 2 masked, 1 unmasked');
    assert.equal(formatDimensions(640, 480), '640 × 480');
  });

  it('shortens names for display, by characters', () => {
    assert.equal(shortName('a.jpg'), 'a.jpg');
    assert.equal(shortName('x'.repeat(70), 10), `${'x'.repeat(9)}…`);
    assert.equal(shortName('😀'.repeat(5), 3), '😀😀…');
  });

  it('names a photo by its file name, or the last segment of its URL', () => {
    assert.equal(photoName('upload', 'a</b>/c.jpg', 'Photo 1'), 'a</b>/c.jpg');
    assert.equal(photoName('url', 'https://example.com/photos/my%20crowd.jpg?x=1', 'Photo 1'), 'my crowd.jpg');
    assert.equal(photoName('url', 'https://example.com/', 'Photo 1'), 'example.com');
    assert.equal(photoName('url', 'https://example.com/%E0%A4%A', 'Photo 1'), '%E0%A4%A');
    assert.equal(photoName('url', 'not a url', 'Photo 1'), 'not a url');
    assert.equal(photoName('upload', '  ', 'Photo 7'), 'Photo 7');
  });

  it('turns server messages into sentences', () => {
    assert.equal(asSentence('username is missing'), 'Username is missing.');
    assert.equal(asSentence('Done!'), 'Done!');
    assert.equal(asSentence('  '), '');
  });
});
