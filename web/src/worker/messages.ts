// What the upload page says when a photo could not be fetched from an address.
// The worker's own message names the library's view of the failure ("Failed to
// connect to 10.0.0.5 port 80 after 0 ms"); a person gets plain words and what
// to do instead, and the request id by which the worker's log tells the rest.

import { ApiError } from '../common/api';
import { messageOf } from '../common/layout';
import { MAX_UPLOAD_BYTES } from './validation';

const INSTEAD = 'Check the address, or save the photo and upload the file.';

function plainWords(error: ApiError): string | null {
  switch (error.reason) {
    case 'unavailable':
      return `The site at that address did not answer, or answered with an error. ${INSTEAD}`;
    case 'deadline_exceeded':
      return `The site at that address took too long to answer. ${INSTEAD}`;
    case 'not_found':
      return 'There is no photo at that address: the site answered “not found”.';
    case 'too_large':
      return `The photo at that address is too large: at most ${MAX_UPLOAD_BYTES / (1024 * 1024)} MB.`;
    case 'unsupported':
      return 'What that address holds is not a supported image: it must be a JPEG, PNG, WebP or BMP photo.';
    case 'invalid_argument':
      if (/refused|private|loopback|unchecked address/i.test(error.message)) {
        return (
          'That address is on this computer or a private network, which this service does not fetch photos from. ' +
          'On a local install an administrator can allow it: the setting allow_private_urls, in the README under “Uploading from a URL”.'
        );
      }
      return `That address cannot be fetched. ${INSTEAD}`;
    default:
      return null;
  }
}

/** The message for a failed upload from an address (`POST /api/v1/images` with `{"url"}`). */
export function urlUploadMessage(error: unknown): string {
  if (!(error instanceof ApiError) || error.status === 0 || error.status === 401 || error.status === 429) return messageOf(error);
  const words = plainWords(error) ?? messageOf(error);
  return error.requestId === null ? words : `${words} (Request ${error.requestId}.)`;
}
