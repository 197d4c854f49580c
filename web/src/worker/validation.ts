// Browser-side checks of the photos the worker is given: a convenience that saves
// a round trip (a 10 MB upload refused only after it is sent), never the rule.
// The worker checks everything again, with the same limits.
//
// Each returns null when the input is acceptable, else a message for a person.

/** The worker's default upload limit (10 MiB). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** The formats the worker decodes, by the browser's MIME type and by extension. */
export const IMAGE_MIME_TYPES: readonly string[] = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/bmp',
];
const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.jpe', '.png', '.webp', '.bmp'];

/** The `accept` attribute of the file input. */
export const IMAGE_ACCEPT = [...IMAGE_MIME_TYPES, ...IMAGE_EXTENSIONS].join(',');

/** What validateImageFile needs of a File; a plain object in tests. */
export interface FileLike {
  name: string;
  size: number;
  type: string;
}

export function validateImageFile(file: FileLike): string | null {
  if (file.size === 0) return 'The file is empty.';
  if (file.size > MAX_UPLOAD_BYTES) {
    return `The file is too large: at most ${MAX_UPLOAD_BYTES / (1024 * 1024)} MB.`;
  }
  const type = file.type.toLowerCase();
  const name = file.name.toLowerCase();
  const knownType = IMAGE_MIME_TYPES.includes(type);
  const knownExtension = IMAGE_EXTENSIONS.some((ext) => name.endsWith(ext));
  // Browsers leave the type empty when they do not know it; then the name decides.
  if (!(knownType || (type === '' && knownExtension))) {
    return 'This is not a supported image: choose a JPEG, PNG, WebP or BMP file.';
  }
  return null;
}

/** An http or https address; the server applies the rest of the fetch rules. */
export function validateImageUrl(text: string): string | null {
  const value = text.trim();
  if (value === '') return 'Enter the address of a photo.';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'Enter a full address, starting with http:// or https://.';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return 'Only http:// and https:// addresses can be fetched.';
  }
  if (url.hostname === '') return 'The address has no host name.';
  return null;
}
