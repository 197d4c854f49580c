// The worker's API client (docs/api.md, section 2): the common client (cookie,
// CSRF token, errors, checked answers, the session routes) with the worker's own
// routes: password reset, images and users. A 401 sends the browser to
// /login?next=<this page>.

import { ApiClient, ApiError, CSRF_HEADER, defaultMessage, type ApiClientOptions } from '../common/api';
import { ignored } from '../common/check';
import { imageListShape, imageShape, sessionShape, userListShape, userShape, type HistoryList, type Image, type ImageList, type NewUser, type Session, type User } from './types';
import { imageApiPath, imagesListPath, loginPath, userApiPath } from './urls';

export type ProgressCallback = (loaded: number, total: number) => void;

export class WorkerApiClient extends ApiClient<Session> {
  constructor(options: ApiClientOptions = {}) {
    super({ check: sessionShape, loginPath }, options);
  }

  // ---- password reset (no session) ----

  requestPasswordReset(username: string): Promise<void> {
    return this.request('/api/v1/password-reset', ignored, {
      method: 'POST',
      body: { username },
      authenticated: false,
    });
  }

  confirmPasswordReset(token: string, newPassword: string): Promise<void> {
    return this.request('/api/v1/password-reset/confirm', ignored, {
      method: 'POST',
      body: { token, new_password: newPassword },
      authenticated: false,
    });
  }

  /** Whether a reset link can still be used (204), without using it; 400 when it cannot. */
  checkPasswordReset(token: string): Promise<void> {
    return this.request('/api/v1/password-reset/check', ignored, {
      method: 'POST',
      body: { token },
      authenticated: false,
    });
  }

  // ---- the caller's account ----

  /**
   * Sets, changes or (with '') removes the caller's e-mail address; the current
   * password confirms it, so a 401 here means a wrong password, not a lost session.
   */
  changeEmail(email: string, currentPassword: string): Promise<User> {
    return this.request('/api/v1/account/email', userShape, {
      method: 'PUT',
      body: { email, current_password: currentPassword },
      authenticated: false,
    });
  }

  // ---- images ----

  listImages(category: HistoryList, page: number, pageSize?: number): Promise<ImageList> {
    return this.request(imagesListPath(category, page, pageSize), imageListShape);
  }

  getImage(id: number): Promise<Image> {
    return this.request(imageApiPath(id), imageShape);
  }

  deleteImage(id: number): Promise<void> {
    return this.request(imageApiPath(id), ignored, { method: 'DELETE' });
  }

  uploadUrl(url: string): Promise<Image> {
    return this.request('/api/v1/images', imageShape, { method: 'POST', body: { url } });
  }

  /**
   * Sends a photo as multipart part `file`, reporting the bytes sent through
   * `onProgress` (fetch cannot report upload progress; XMLHttpRequest can).
   * Aborting `signal` cancels it: the promise rejects with reason 'aborted'.
   */
  async uploadFile(
    file: Blob,
    fileName: string,
    onProgress?: ProgressCallback,
    signal?: AbortSignal,
  ): Promise<Image> {
    const token = await this.ensureCsrfToken();
    const form = new FormData();
    form.append('file', file, fileName);
    const { status, text, header } = await new Promise<{ status: number; text: string; header: (name: string) => string | null }>(
      (resolve, reject) => {
        const xhr = this.createXhr();
        xhr.open('POST', '/api/v1/images');
        xhr.withCredentials = true;
        xhr.setRequestHeader(CSRF_HEADER, token);
        xhr.setRequestHeader('Accept', 'application/json');
        if (onProgress !== undefined) {
          xhr.upload.onprogress = (event) => {
            onProgress(event.loaded, event.lengthComputable ? event.total : 0);
          };
        }
        xhr.onload = () =>
          resolve({ status: xhr.status, text: xhr.responseText, header: (name) => xhr.getResponseHeader(name) });
        const failed = () => reject(new ApiError(0, 'network', defaultMessage(0)));
        xhr.onerror = failed;
        xhr.ontimeout = failed;
        xhr.onabort = () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.'));
        if (signal !== undefined) {
          if (signal.aborted) {
            reject(new ApiError(0, 'aborted', 'The upload was cancelled.'));
            return;
          }
          signal.addEventListener('abort', () => xhr.abort(), { once: true });
        }
        xhr.send(form);
      },
    );
    return this.finish(status, text, header, true, imageShape);
  }

  // ---- users (administrators) ----

  async listUsers(): Promise<User[]> {
    return (await this.request('/api/v1/users', userListShape)).users;
  }

  createUser(user: NewUser): Promise<User> {
    return this.request('/api/v1/users', userShape, { method: 'POST', body: user });
  }

  deleteUser(id: number): Promise<void> {
    return this.request(userApiPath(id), ignored, { method: 'DELETE' });
  }
}

/** The client the worker's pages share. */
export const api = new WorkerApiClient();
