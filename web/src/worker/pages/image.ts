// /images/{id}: one photo: the annotated picture (or the original, by a toggle),
// the counts, facts about the photo, a table of the faces, and deleting it.

import { confirmDialog } from '../../common/dialogs';
import { addressText, byId, h, replaceChildren, setBusy, setStatus } from '../../common/dom';
import { formatDateTime } from '../../common/format';
import { api } from '../api';
import {
  categoryLabel,
  formatConfidence,
  formatDimensions,
  photoName,
  summarizeCounts,
} from '../format';
import { messageOf, pageStatus, setFlash, showPageError, startAuthenticatedPage } from '../layout';
import type { Face, Image } from '../types';
import { historyPath, imageIdFromPath, imageVariantUrl } from '../urls';
import { boxLegend, countsView, noteLoadFailure } from '../widgets';

export async function init(): Promise<void> {
  if ((await startAuthenticatedPage('history')) === null) return;
  const id = imageIdFromPath(location.pathname);
  if (id === null) {
    setStatus(pageStatus(), 'This address names no photo.', 'error');
    return;
  }
  let image: Image;
  try {
    image = await api.getImage(id);
  } catch (error) {
    showPageError(error);
    return;
  }
  render(image);
}

function render(image: Image): void {
  const name = photoName(image.source, image.source_name, `Photo ${image.id}`, 80);
  const summary = summarizeCounts(image.num_faces, image.num_masked, image.num_unmasked);
  document.title = `${name} · maskfleet`;

  byId('back-link', HTMLAnchorElement).href = historyPath(image.category);
  byId('detail-title', HTMLElement).textContent = name;
  byId('detail-meta', HTMLElement).textContent = `${categoryLabel(image.category)} · ${formatDateTime(image.created_at)}`;
  replaceChildren(byId('detail-counts', HTMLElement), countsView(image));
  replaceChildren(byId('detail-caption', HTMLElement), boxLegend());

  const picture = byId('detail-image', HTMLImageElement);
  noteLoadFailure(picture);
  const toggle = byId('toggle-original', HTMLButtonElement);
  const annotatedUrl = imageVariantUrl(image.id, 'annotated', image.urls);
  const originalUrl = imageVariantUrl(image.id, 'original', image.urls);
  const show = (original: boolean) => {
    picture.src = original ? originalUrl : annotatedUrl;
    picture.alt = original ? `${name}, original photo.` : `${name}, annotated. ${summary}.`;
    toggle.setAttribute('aria-pressed', String(original));
    toggle.textContent = original ? 'Show annotated' : 'Show original';
    byId('detail-caption', HTMLElement).hidden = original;
  };
  if (image.width > 0 && image.height > 0) {
    picture.width = image.width;
    picture.height = image.height;
  }
  show(false);
  toggle.addEventListener('click', () => show(toggle.getAttribute('aria-pressed') !== 'true'));

  const facts: Array<[string, string | Node]> = [
    ['Source', image.source === 'url' ? 'Fetched from a URL' : 'Uploaded file'],
    ['Name', image.source_name === '' ? '—' : addressText(image.source_name)],
    ['Format', image.format.toUpperCase()],
    ['Size', `${formatDimensions(image.width, image.height)} pixels`],
    ['Checked', formatDateTime(image.created_at)],
  ];
  replaceChildren(
    byId('detail-facts', HTMLElement),
    ...facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
  const faces = image.faces ?? [];
  const table = facesTable(faces);
  replaceChildren(byId('faces', HTMLElement), table);
  if (faces.length > 0) markFaces(picture, image, faces, table);

  const remove = byId('delete-image', HTMLButtonElement);
  remove.addEventListener('click', () => {
    void (async () => {
      const yes = await confirmDialog(
        'Delete this photo?',
        `“${name}” and its detection results will be removed for good.`,
        'Delete photo',
      );
      if (!yes) return;
      setBusy(remove, true, 'Deleting…');
      try {
        await api.deleteImage(image.id);
        setFlash(`Deleted “${name}”.`);
        location.assign(historyPath(image.category));
      } catch (error) {
        setBusy(remove, false);
        setStatus(pageStatus(), messageOf(error), 'error');
      }
    })();
  });

  byId('detail', HTMLElement).hidden = false;
}

/**
 * Numbers the faces on the picture, as the table numbers its rows, so that a row
 * can be matched to its box: a numbered marker over each face (over the shown
 * part of the picture, which `object-fit: contain` may leave narrower than the
 * element), and pointing at a row or a marker outlines both.
 */
function markFaces(picture: HTMLImageElement, image: Image, faces: readonly Face[], table: HTMLElement): void {
  const layer = h('div', { className: 'face-layer', attrs: { 'aria-hidden': 'true' } });
  picture.insertAdjacentElement('afterend', layer);
  picture.parentElement?.classList.add('has-faces');
  const rows = [...table.querySelectorAll<HTMLTableRowElement>('tbody tr')];
  const markers = faces.map((face, index) =>
    h(
      'div',
      { className: `face-marker ${face.masked ? 'face-masked' : 'face-unmasked'}`, attrs: { 'data-face': index + 1 } },
      h('span', { className: 'face-number' }, String(index + 1)),
    ),
  );
  layer.append(...markers);

  const highlight = (index: number | null) => {
    markers.forEach((marker, i) => marker.classList.toggle('highlight', i === index));
    rows.forEach((row, i) => row.classList.toggle('highlight', i === index));
  };
  rows.forEach((row, index) => {
    row.addEventListener('mouseenter', () => highlight(index));
    row.addEventListener('mouseleave', () => highlight(null));
  });
  markers.forEach((marker, index) => {
    marker.addEventListener('mouseenter', () => highlight(index));
    marker.addEventListener('mouseleave', () => highlight(null));
  });

  const place = () => {
    const width = picture.naturalWidth || image.width;
    const height = picture.naturalHeight || image.height;
    if (!(width > 0 && height > 0) || picture.clientWidth === 0) {
      layer.hidden = true;
      return;
    }
    // The shown picture inside the element (object-fit: contain centres it).
    const scale = Math.min(picture.clientWidth / width, picture.clientHeight / height);
    const left = picture.offsetLeft + (picture.clientWidth - width * scale) / 2;
    const top = picture.offsetTop + (picture.clientHeight - height * scale) / 2;
    Object.assign(layer.style, { left: `${left}px`, top: `${top}px`, width: `${width * scale}px`, height: `${height * scale}px` });
    markers.forEach((marker, index) => {
      const face = faces[index];
      if (face === undefined) return;
      Object.assign(marker.style, {
        left: `${(face.x / width) * 100}%`,
        top: `${(face.y / height) * 100}%`,
        width: `${(face.w / width) * 100}%`,
        height: `${(face.h / height) * 100}%`,
      });
    });
    layer.hidden = false;
  };
  picture.addEventListener('load', place);
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(place).observe(picture);
  place();
}

/** A column heading, with the short form a phone shows so that every column fits. */
function heading(long: string, short: string): HTMLElement[] {
  return [h('span', { className: 'label-long' }, long), h('abbr', { className: 'label-short', attrs: { title: long } }, short)];
}

function facesTable(faces: readonly Face[]): HTMLElement {
  if (faces.length === 0) return h('p', { className: 'muted' }, 'No faces were found in this photo.');
  const rows = faces.map((face, index) =>
    h(
      'tr',
      {},
      h('th', { attrs: { scope: 'row' } }, String(index + 1)),
      h(
        'td',
        {},
        h('span', { className: `tag ${face.masked ? 'tag-masked' : 'tag-unmasked'}` }, face.masked ? 'Masked' : 'No mask'),
      ),
      h('td', { className: 'num' }, formatConfidence(face.confidence)),
      h('td', { className: 'num' }, `${face.x}, ${face.y}`),
      h('td', { className: 'num' }, formatDimensions(face.w, face.h)),
    ),
  );
  return h(
    'div',
    { className: 'table-wrap' },
    h(
      'table',
      { className: 'data-table' },
      h('caption', { className: 'visually-hidden' }, 'Faces found, with the detector’s confidence and box in pixels'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { attrs: { scope: 'col' } }, '#'),
          h('th', { attrs: { scope: 'col' } }, 'Mask'),
          h('th', { attrs: { scope: 'col' }, className: 'num' }, ...heading('Confidence', 'Conf.')),
          h('th', { attrs: { scope: 'col' }, className: 'num' }, ...heading('Position (x, y)', 'x, y')),
          h('th', { attrs: { scope: 'col' }, className: 'num' }, ...heading('Size (w × h)', 'w × h')),
        ),
      ),
      h('tbody', {}, ...rows),
    ),
  );
}
