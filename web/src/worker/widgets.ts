// Pieces shown on more than one page: the counts of a detection and the photo.

import { h } from '../common/dom';
import { photoName, summarizeCounts } from './format';
import type { Image } from './types';
import { imageVariantUrl } from './urls';

/**
 * Faces / masked / unmasked as three tiles; masked in green and unmasked in red,
 * the colours of the boxes in the annotated picture.
 */
export function countsView(image: Pick<Image, 'num_faces' | 'num_masked' | 'num_unmasked'>): HTMLElement {
  const tile = (kind: string, label: string, value: number) =>
    h(
      'div',
      { className: `count count-${kind}` },
      h('dt', {}, label),
      h('dd', {}, String(value)),
    );
  return h(
    'dl',
    { className: 'counts', attrs: { 'aria-label': summarizeCounts(image.num_faces, image.num_masked, image.num_unmasked) } },
    tile('faces', 'Faces', image.num_faces),
    tile('masked', 'Masked', image.num_masked),
    tile('unmasked', 'Unmasked', image.num_unmasked),
  );
}

/** The key to the boxes' colours, under an annotated picture. */
export function boxLegend(): HTMLElement {
  return h(
    'p',
    { className: 'legend' },
    h(
      'span',
      { className: 'legend-item' },
      h('span', { className: 'swatch swatch-masked', attrs: { 'aria-hidden': 'true' } }),
      'green box: mask worn',
    ),
    h(
      'span',
      { className: 'legend-item' },
      h('span', { className: 'swatch swatch-unmasked', attrs: { 'aria-hidden': 'true' } }),
      'red box: no mask',
    ),
  );
}

/**
 * Shows a short note in place of a picture that fails to load (a deleted object,
 * a worker restarting), instead of the browser's broken-image icon.
 */
export function noteLoadFailure(img: HTMLImageElement): void {
  img.addEventListener('error', () => {
    if (img.nextElementSibling?.classList.contains('load-failure')) return;
    const note = h(
      'p',
      { className: 'load-failure status', attrs: { 'data-kind': 'error' } },
      'The picture could not be loaded. Reload the page to try again.',
    );
    img.insertAdjacentElement('afterend', note);
  });
  img.addEventListener('load', () => {
    if (img.nextElementSibling?.classList.contains('load-failure')) img.nextElementSibling.remove();
  });
}

/** The annotated picture, with an alt text that says what it shows. */
export function annotatedImage(image: Image): HTMLImageElement {
  const img = h('img', {
    className: 'photo',
    attrs: {
      src: imageVariantUrl(image.id, 'annotated', image.urls),
      alt: `${photoName(image.source, image.source_name, 'Photo')}, annotated. ${summarizeCounts(
        image.num_faces,
        image.num_masked,
        image.num_unmasked,
      )}.`,
      width: image.width > 0 ? image.width : undefined,
      height: image.height > 0 ? image.height : undefined,
      decoding: 'async',
    },
  });
  noteLoadFailure(img);
  return img;
}
