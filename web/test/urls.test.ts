import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { safeNextPath } from '../src/common/urls';
import {
  historyPath,
  imageDetailPath,
  imageIdFromPath,
  imagesListPath,
  imageVariantUrl,
  loginPath,
  pageCount,
  parseHistoryParams,
  resetTokenFromSearch,
} from '../src/worker/urls';

describe('safeNextPath (no open redirect after login)', () => {
  it('keeps paths of this site with their query', () => {
    assert.equal(safeNextPath('/history?category=all_masked&page=2', '/upload'), '/history?category=all_masked&page=2');
    assert.equal(safeNextPath('/images/42', '/upload'), '/images/42');
  });

  it('refuses other origins, schemes and odd paths', () => {
    for (const bad of [
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
      'images/42',
      '/a\nb',
      '/login',
      '/login?next=/x',
    ]) {
      assert.equal(safeNextPath(bad, '/upload'), '/upload', bad);
    }
    assert.equal(safeNextPath(null, '/upload'), '/upload');
    assert.equal(safeNextPath('', '/x'), '/x');
  });
});

describe('loginPath', () => {
  it('carries the page to come back to, encoded', () => {
    assert.equal(loginPath('/history?category=no_faces&page=3'), '/login?next=%2Fhistory%3Fcategory%3Dno_faces%26page%3D3');
    assert.equal(loginPath('/images/7'), '/login?next=%2Fimages%2F7');
  });

  it('leaves out the default page and anything unsafe', () => {
    assert.equal(loginPath('/upload'), '/login');
    assert.equal(loginPath('//evil.example'), '/login');
  });
});

describe('history addresses', () => {
  it('reads category and page with defaults for missing or wrong values', () => {
    assert.deepEqual(parseHistoryParams('?category=some_masked&page=3'), { category: 'some_masked', page: 3 });
    assert.deepEqual(parseHistoryParams(''), { category: null, page: 1 });
    assert.deepEqual(parseHistoryParams('?category=bogus&page=-2'), { category: null, page: 1 });
    assert.deepEqual(parseHistoryParams('?category=no_faces&page=0'), { category: 'no_faces', page: 1 });
    assert.deepEqual(parseHistoryParams('?page=1e3'), { category: null, page: 1 });
    assert.deepEqual(parseHistoryParams('?category=all&page=2'), { category: 'all', page: 2 });
  });

  it('builds the page address, leaving out page 1', () => {
    assert.equal(historyPath('all_masked'), '/history?category=all_masked');
    assert.equal(historyPath('none_masked', 4), '/history?category=none_masked&page=4');
    // All photos is the page's first list: no category in its address.
    assert.equal(historyPath('all'), '/history');
    assert.equal(historyPath('all', 2), '/history?page=2');
  });

  it('builds the API list query within the documented bounds', () => {
    assert.equal(imagesListPath('no_faces', 2, 20), '/api/v1/images?category=no_faces&page=2&page_size=20');
    assert.equal(imagesListPath('no_faces', 0, 1000), '/api/v1/images?category=no_faces&page=1&page_size=100');
    assert.equal(imagesListPath('no_faces', 1, 0), '/api/v1/images?category=no_faces&page=1&page_size=1');
    assert.equal(imagesListPath('all', 1, 20), '/api/v1/images?category=all&page=1&page_size=20');
  });

  it('counts pages', () => {
    assert.equal(pageCount(0, 20), 1);
    assert.equal(pageCount(20, 20), 1);
    assert.equal(pageCount(21, 20), 2);
    assert.equal(pageCount(5, 0), 1);
  });
});

describe('image addresses', () => {
  it('reads the id of a detail page', () => {
    assert.equal(imageIdFromPath('/images/42'), 42);
    assert.equal(imageIdFromPath('/images/42/'), 42);
    assert.equal(imageIdFromPath('/images/0'), null);
    assert.equal(imageIdFromPath('/images/abc'), null);
    assert.equal(imageIdFromPath('/images/1/original'), null);
    assert.equal(imageIdFromPath('/images/99999999999999999'), null);
  });

  it('builds detail paths', () => {
    assert.equal(imageDetailPath(5), '/images/5');
    assert.equal(imageDetailPath('a/b'), '/images/a%2Fb');
  });

  it('uses the server urls only when they are paths of this site', () => {
    const urls = { original: '/api/v1/images/3/original', annotated: 'javascript:alert(1)', thumbnail: '//evil.example/t.jpg' };
    assert.equal(imageVariantUrl(3, 'original', urls), '/api/v1/images/3/original');
    assert.equal(imageVariantUrl(3, 'annotated', urls), '/api/v1/images/3/annotated');
    assert.equal(imageVariantUrl(3, 'thumbnail', urls), '/api/v1/images/3/thumbnail');
    assert.equal(imageVariantUrl(3, 'thumbnail'), '/api/v1/images/3/thumbnail');
    assert.equal(imageVariantUrl(3, 'original', { original: 42 }), '/api/v1/images/3/original');
  });
});

describe('resetTokenFromSearch', () => {
  it('reads the token, or null', () => {
    assert.equal(resetTokenFromSearch('?token=abc_DEF-123'), 'abc_DEF-123');
    assert.equal(resetTokenFromSearch('?token=a%2Bb'), 'a+b');
    assert.equal(resetTokenFromSearch('?token='), null);
    assert.equal(resetTokenFromSearch(''), null);
  });
});
