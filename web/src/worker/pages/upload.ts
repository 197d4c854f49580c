// /upload: a photo from disk (drag and drop or the file picker) or from a URL;
// progress while it goes up and the detector runs; then the result on this page.

import { byId, checkFields, clearStatus, h, replaceChildren, setBusy, setFieldError, setStatus } from '../../common/dom';
import { api } from '../api';
import { categoryLabel, formatBytes, photoName, progressPercent, shortName, summarizeCounts } from '../format';
import { messageOf, showPageError, startAuthenticatedPage } from '../layout';
import { urlUploadMessage } from '../messages';
import type { Image } from '../types';
import { historyPath, imageDetailPath } from '../urls';
import { IMAGE_ACCEPT, validateImageFile, validateImageUrl } from '../validation';
import { annotatedImage, boxLegend, countsView } from '../widgets';

export async function init(): Promise<void> {
  if ((await startAuthenticatedPage('upload')) === null) return;
  try {
    new UploadPage().attach();
  } catch (error) {
    showPageError(error);
  }
}

class UploadPage {
  private readonly fileForm = byId('file-form', HTMLFormElement);
  private readonly fileInput = byId('file-input', HTMLInputElement);
  private readonly dropZone = byId('drop-zone', HTMLElement);
  private readonly fileChosen = byId('file-chosen', HTMLElement);
  private readonly fileSubmit = byId('file-submit', HTMLButtonElement);
  private readonly urlForm = byId('url-form', HTMLFormElement);
  private readonly urlInput = byId('url-input', HTMLInputElement);
  private readonly urlSubmit = byId('url-submit', HTMLButtonElement);
  private readonly progressSection = byId('progress-section', HTMLElement);
  private readonly progressLabel = byId('progress-label', HTMLElement);
  private readonly progress = byId('upload-progress', HTMLProgressElement);
  private readonly cancel = byId('upload-cancel', HTMLButtonElement);
  private readonly status = byId('upload-status', HTMLElement);
  private readonly result = byId('result', HTMLElement);
  private readonly resultBody = byId('result-body', HTMLElement);

  private chosen: File | null = null;
  private previewUrl: string | null = null;
  private busy = false;
  private upload: AbortController | null = null;

  attach(): void {
    this.fileInput.accept = IMAGE_ACCEPT;
    this.fileInput.addEventListener('change', () => {
      if (!this.busy) this.choose(this.fileInput.files?.[0] ?? null);
    });

    // Dropping a file anywhere else must not make the browser leave the page to show it.
    for (const type of ['dragover', 'drop'] as const) {
      window.addEventListener(type, (event) => event.preventDefault());
    }
    this.dropZone.addEventListener('dragenter', (event) => {
      event.preventDefault();
      this.dropZone.classList.add('dragging');
    });
    this.dropZone.addEventListener('dragover', (event) => {
      event.preventDefault();
      if (event.dataTransfer !== null) event.dataTransfer.dropEffect = 'copy';
      this.dropZone.classList.add('dragging');
    });
    this.dropZone.addEventListener('dragleave', (event) => {
      if (event.relatedTarget instanceof Node && this.dropZone.contains(event.relatedTarget)) return;
      this.dropZone.classList.remove('dragging');
    });
    this.dropZone.addEventListener('drop', (event) => {
      event.preventDefault();
      this.dropZone.classList.remove('dragging');
      const file = event.dataTransfer?.files[0] ?? null;
      if (file !== null && !this.busy) this.choose(file);
    });

    // A picture pasted anywhere on the page (a screenshot, a copied image) is taken
    // like a dropped one; pasted text goes where it was pasted.
    document.addEventListener('paste', (event) => {
      const file = event.clipboardData?.files[0];
      if (file === undefined || this.busy) return;
      event.preventDefault();
      this.choose(file);
    });
    this.cancel.addEventListener('click', () => this.upload?.abort());
    this.fileForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.sendFile();
    });
    this.urlForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.sendUrl();
    });
    // Turning to the address form leaves the file's error behind, and typing an
    // address again clears the last one's.
    this.urlForm.addEventListener('focusin', (event) => {
      if (!(event.relatedTarget instanceof Node && this.urlForm.contains(event.relatedTarget))) this.clearErrors();
    });
    this.urlForm.addEventListener('input', () => this.clearErrors());
  }

  /** One message per failure: the person acts again, the old message goes. */
  private clearErrors(): void {
    delete this.dropZone.dataset['invalid'];
    if (this.status.dataset['kind'] === 'error') clearStatus(this.status);
    if (this.urlInput.getAttribute('aria-invalid') === 'true') setFieldError(this.urlInput, null);
  }

  private choose(file: File | null): void {
    this.clearErrors();
    if (this.previewUrl !== null) URL.revokeObjectURL(this.previewUrl);
    this.previewUrl = null;
    this.chosen = null;
    this.fileSubmit.disabled = true;
    if (file === null) {
      replaceChildren(this.fileChosen);
      return;
    }
    const problem = validateImageFile(file);
    if (problem !== null) {
      replaceChildren(this.fileChosen);
      this.dropZone.dataset['invalid'] = 'true';
      setStatus(this.status, `${shortName(file.name)}: ${problem}`, 'error');
      return;
    }
    clearStatus(this.status);
    this.chosen = file;
    this.previewUrl = URL.createObjectURL(file);
    // A file named like a photo whose bytes the browser cannot show gets a plain
    // box instead of the broken-image icon (the worker will say what it is).
    const preview = h('img', { className: 'chosen-preview', attrs: { src: this.previewUrl, alt: '' } });
    preview.addEventListener('error', () => {
      preview.replaceWith(h('span', { className: 'chosen-preview no-preview' }, 'No preview'));
    });
    replaceChildren(
      this.fileChosen,
      preview,
      h(
        'span',
        { className: 'chosen-text' },
        h('span', { className: 'chosen-name' }, shortName(file.name)),
        h('span', { className: 'muted' }, formatBytes(file.size)),
      ),
    );
    this.fileSubmit.disabled = false;
  }

  private async sendFile(): Promise<void> {
    if (this.busy) return;
    this.clearErrors();
    const file = this.chosen;
    if (file === null) {
      setStatus(this.status, 'Choose a photo first, or drop one on the box.', 'error');
      this.fileInput.focus();
      return;
    }
    this.begin(this.fileSubmit, 'Uploading…', true);
    this.upload = new AbortController();
    this.cancel.hidden = false;
    try {
      const onProgress = (loaded: number, total: number) => {
        const percent = progressPercent(loaded, total);
        if (total > 0 && loaded >= total) {
          this.showProcessing();
        } else {
          this.progress.value = percent;
          this.progressLabel.textContent = `Uploading… ${percent}%`;
        }
      };
      const image = await api.uploadFile(file, file.name, onProgress, this.upload.signal);
      this.showResult(image);
      this.choose(null);
      this.fileForm.reset();
    } catch (error) {
      setStatus(this.status, messageOf(error), 'error');
    } finally {
      this.upload = null;
      this.cancel.hidden = true;
      this.end(this.fileSubmit);
      this.fileSubmit.disabled = this.chosen === null;
    }
  }

  private async sendUrl(): Promise<void> {
    if (this.busy) return;
    this.clearErrors();
    if (!checkFields([[this.urlInput, validateImageUrl(this.urlInput.value)]])) return;
    this.begin(this.urlSubmit, 'Fetching…', false);
    try {
      const image = await api.uploadUrl(this.urlInput.value.trim());
      this.showResult(image);
      this.urlForm.reset();
      setFieldError(this.urlInput, null);
    } catch (error) {
      setStatus(this.status, urlUploadMessage(error), 'error');
    } finally {
      this.end(this.urlSubmit);
    }
  }

  private begin(button: HTMLButtonElement, label: string, determinate: boolean): void {
    this.busy = true;
    setBusy(button, true, label);
    this.result.hidden = true;
    this.progressSection.hidden = false;
    // The progress card says it visibly; the status region still tells screen readers.
    this.status.classList.add('visually-hidden');
    if (determinate) {
      this.progress.value = 0;
      this.progressLabel.textContent = 'Uploading… 0%';
      setStatus(this.status, 'Uploading the photo…');
    } else {
      this.progress.removeAttribute('value');
      this.progressLabel.textContent = 'Fetching the photo and looking for faces…';
      setStatus(this.status, 'Fetching the photo…');
    }
  }

  private showProcessing(): void {
    // The photo is on the server: cancelling now would not stop the detection.
    this.cancel.hidden = true;
    this.progress.removeAttribute('value');
    this.progressLabel.textContent = 'Uploaded. Looking for faces…';
    setStatus(this.status, 'Looking for faces…');
  }

  private end(button: HTMLButtonElement): void {
    this.busy = false;
    setBusy(button, false);
    this.progressSection.hidden = true;
    this.status.classList.remove('visually-hidden');
  }

  private showResult(image: Image): void {
    const summary = summarizeCounts(image.num_faces, image.num_masked, image.num_unmasked);
    replaceChildren(
      this.resultBody,
      h('p', { className: 'result-name' }, photoName(image.source, image.source_name, `Photo ${image.id}`, 80)),
      countsView(image),
      h('figure', { className: 'photo-frame' }, annotatedImage(image), h('figcaption', {}, boxLegend())),
      h(
        'p',
        { className: 'actions' },
        h('a', { className: 'button primary', attrs: { href: imageDetailPath(image.id) } }, 'Open details'),
        h(
          'a',
          { className: 'button secondary', attrs: { href: historyPath(image.category) } },
          `History: ${categoryLabel(image.category)}`,
        ),
      ),
    );
    this.result.hidden = false;
    setStatus(this.status, `Done. ${summary}.`, 'success');
    this.result.focus();
  }
}
