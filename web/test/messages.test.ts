import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ApiError, errorFromResponse } from '../src/common/api';
import { urlUploadMessage } from '../src/worker/messages';

function refusal(status: number, reason: string, message: string, requestId: string | null = 'r-42'): ApiError {
  return errorFromResponse(status, JSON.stringify({ success: false, error: { code: status, reason, message } }), null, requestId);
}

// What the worker says, word for word, for a fetch that failed in libcurl.
const CURL = 'cannot fetch the URL: fetching "http://127.0.0.1:9/x.png": Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn\'t connect to server';

describe('urlUploadMessage (plain words for a failed fetch)', () => {
  it('never shows the library\'s text, and shows the request id', () => {
    const message = urlUploadMessage(refusal(503, 'unavailable', CURL));
    assert.equal(
      message,
      'The site at that address did not answer, or answered with an error. Check the address, or save the photo and upload the file. (Request r-42.)',
    );
    assert.doesNotMatch(message, /curl|after 0 ms|127\.0\.0\.1|fetching/i);
  });

  it('says what went wrong for each kind of refusal', () => {
    assert.match(urlUploadMessage(refusal(504, 'deadline_exceeded', 'fetching "x": no answer within 10000 ms')), /^The site at that address took too long to answer\./);
    assert.match(urlUploadMessage(refusal(404, 'not_found', 'fetching "x": the server answered 404 Not Found')), /^There is no photo at that address/);
    assert.match(urlUploadMessage(refusal(413, 'too_large', 'fetching "x": larger than 10485760 bytes')), /too large: at most 10 MB/);
    assert.match(urlUploadMessage(refusal(415, 'unsupported', 'not an image')), /not a supported image/);
    assert.match(
      urlUploadMessage(refusal(400, 'invalid_argument', 'cannot fetch the URL: address refused: host 127.0.0.1, a loopback address; only public addresses may be fetched')),
      /^That address is on this computer or a private network, .* the setting allow_private_urls, in the README/,
    );
    // The server's own plain words for it are recognised too.
    assert.match(
      urlUploadMessage(refusal(400, 'invalid_argument', 'The address was refused: it is on this machine or a private network, and this service fetches photos from public addresses only.')),
      /allow_private_urls/,
    );
    assert.match(urlUploadMessage(refusal(400, 'invalid_argument', 'fetching "x": more than 5 redirects')), /^That address cannot be fetched\./);
  });

  it('leaves the messages that are the session\'s or the connection\'s as they are, without a request id', () => {
    assert.equal(urlUploadMessage(new ApiError(0, 'network', 'Could not reach the server.')), 'Could not reach the server.');
    assert.equal(urlUploadMessage(refusal(429, 'unavailable', 'too many requests')), 'Too many requests.');
    assert.equal(urlUploadMessage(refusal(500, 'internal', 'database is locked', null)), 'Database is locked.');
    assert.equal(urlUploadMessage(new Error('boom')), 'Something went wrong. Please reload the page.');
  });

  it('takes only a sane request id from the answer', () => {
    assert.equal(refusal(503, 'unavailable', 'x', 'abc-123_4.5').requestId, 'abc-123_4.5');
    assert.equal(refusal(503, 'unavailable', 'x', '<script>').requestId, null);
    assert.equal(refusal(503, 'unavailable', 'x', 'a'.repeat(101)).requestId, null);
  });
});
