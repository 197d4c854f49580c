// Browser tests of the worker's pages: a real `maskfleet worker` (harness.mjs
// starts it on 127.0.0.1 with a temporary data folder) and Debian's chromium,
// driven as a person would: log in, upload photos, read the counts, walk the
// history tabs and a detail page, delete, change the password, manage users,
// log out. Every page visited is also checked with axe-core (no serious or
// critical accessibility violations) and, when MASKFLEET_SCREENSHOTS_DIR is set,
// photographed for the documentation.
//
// Run: cd web && npm run test:browser   (or: npm run screenshots)

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { accessibilityProblems, launchBrowser, screenshot, servePhotos, startWorker, testPhoto } from './harness.mjs';

const ADMIN = 'admin';
const ADMIN_PASSWORD = 'first-admin-pw';
const NEW_ADMIN_PASSWORD = 'second-admin-pw';

// Every time on the pages, in both apps: "27 Nov 2026, 21:05 UTC" (24-hour, with the
// zone; the browser runs in UTC). The manager's test checks its pages the same way.
const TIME = /^\d{1,2} [A-Z][a-z]{2} \d{4}, ([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)? UTC$/;

const MASKS_PHOTO = testPhoto('face-mask/images/maksssksksss52.png'); // masked and unmasked faces
const NO_FACE_PHOTO = testPhoto('no-face/rocket.jpg');

describe('worker pages in a browser', { timeout: 300_000 }, () => {
  let worker;
  let browser;
  let page;
  const pageErrors = [];
  const dialogs = [];

  let photoServer;

  before(async () => {
    photoServer = await servePhotos({ '/photos/crowd.png': testPhoto('face-mask/images/maksssksksss122.png') });
    // The photo server is on loopback, which the worker refuses unless told otherwise.
    worker = await startWorker({
      adminName: ADMIN,
      adminPassword: ADMIN_PASSWORD,
      env: { MASKFLEET_WORKER_ALLOW_PRIVATE_URLS: 'true' },
    });
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // A JavaScript dialog would mean injected script ran (the pages use <dialog>, never alert).
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  after(async () => {
    await browser?.close();
    await worker?.stop();
    await photoServer?.close();
  });

  // Each page marks <html data-ready> once its module has attached its handlers
  // and loaded its data; before that a click on a form's button does nothing.
  const ready = () => page.waitForSelector('html[data-ready]', { state: 'attached' });
  const go = async (path) => {
    const response = await page.goto(worker.url + path);
    await ready();
    return response;
  };

  async function expectAccessible(what) {
    const problems = await accessibilityProblems(page);
    assert.deepEqual(problems, [], `${what}: accessibility problems`);
  }

  async function logIn(username, password) {
    await ready();
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('#login-submit');
  }

  async function readCounts(scope) {
    const text = async (kind) => Number(await page.textContent(`${scope} .count-${kind} dd`));
    return { faces: await text('faces'), masked: await text('masked'), unmasked: await text('unmasked') };
  }

  /** How far each count's word keeps from its tile's edges, in pixels ("Unmasked" touched them). */
  async function countMargins(scope) {
    return page.$$eval(`${scope} .count dt`, (dts) =>
      dts.map((dt) => {
        const range = document.createRange();
        range.selectNodeContents(dt);
        const text = range.getBoundingClientRect();
        const tile = dt.closest('.count').getBoundingClientRect();
        return [dt.textContent, Math.min(text.left - tile.left, tile.right - text.right)];
      }),
    );
  }

  async function uploadFile(file) {
    await go('/upload');
    await page.waitForSelector('#site-nav:not([hidden])');
    await page.setInputFiles('#file-input', file);
    await page.click('#file-submit');
    await page.waitForSelector('#result:not([hidden])', { timeout: 60_000 });
    await page.waitForFunction(() => {
      const img = document.querySelector('#result img.photo');
      return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0;
    });
    const href = await page.getAttribute('#result a[href^="/images/"]', 'href');
    return { id: Number(href?.split('/').pop()), counts: await readCounts('#result') };
  }

  let masksPhoto; // { id, counts } of the photo with faces

  it('sends a visitor without a session to the login page, keeping the page asked for', async () => {
    await go('/history?category=all_masked');
    await page.waitForURL(/\/login\?next=/);
    assert.match(page.url(), /next=(%2F|\/)history/);
    await page.waitForSelector('#login-form');
    await expectAccessible('login');
    await screenshot(page, 'login');
  });

  it('shows the server message for a wrong password', async () => {
    await logIn(ADMIN, 'not-the-password');
    await page.waitForSelector('#login-status[data-kind="error"]:not(:empty)');
    assert.match(await page.textContent('#login-status'), /\S/);
    assert.equal(await page.inputValue('#password'), '');
    // Typing again clears the old message.
    await page.fill('#password', 'x');
    assert.equal(await page.textContent('#login-status'), '');
    assert.equal(await page.getAttribute('#login-status', 'data-kind'), 'info');
  });

  it('logs in and returns to the page asked for, with the administrator navigation', async () => {
    await logIn(ADMIN, ADMIN_PASSWORD);
    await page.waitForURL(/\/history/);
    await ready();
    await page.waitForSelector('#site-user:not([hidden])');
    assert.equal(await page.textContent('#site-user .user-name'), ADMIN);
    const links = await page.$$eval('#site-nav a', (as) => as.map((a) => a.textContent));
    assert.deepEqual(links, ['Upload', 'History', 'Account', 'Users']);
  });

  it('uploads a photo from disk and shows the counts and the annotated picture', async () => {
    masksPhoto = await uploadFile(MASKS_PHOTO);
    const { counts } = masksPhoto;
    assert.ok(counts.faces > 0, 'faces found');
    assert.equal(counts.masked + counts.unmasked, counts.faces);
    // The page shows what the API stored.
    const stored = await page.evaluate(async (id) => (await fetch(`/api/v1/images/${id}`)).json(), masksPhoto.id);
    assert.deepEqual(
      { faces: stored.num_faces, masked: stored.num_masked, unmasked: stored.num_unmasked },
      counts,
    );
    masksPhoto.category = stored.category;
    assert.match(await page.textContent('#upload-status'), /Done\./);
    await expectAccessible('upload result');
    await screenshot(page, 'upload-result', { fullPage: true });
  });

  it('refuses a file that is not an image before sending it', async () => {
    await page.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.waitForSelector('#upload-status[data-kind="error"]');
    assert.match(await page.textContent('#upload-status'), /not a supported image/);
    assert.equal(await page.isDisabled('#file-submit'), true);
  });

  it('shows a plain box, not a broken picture, for a file named like a photo that is none', async () => {
    await page.setInputFiles('#file-input', { name: 'holiday.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo') });
    await page.waitForSelector('#file-chosen .no-preview');
    assert.equal(await page.textContent('#file-chosen .no-preview'), 'No preview');
    assert.equal(await page.$$eval('#file-chosen img', (imgs) => imgs.length), 0);
    assert.equal(await page.textContent('#file-chosen .chosen-name'), 'holiday.jpg');
  });

  it('takes a photo dropped on the box', async () => {
    const bytes = (await readFile(NO_FACE_PHOTO)).toString('base64');
    await page.evaluate((b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'dropped.jpg', { type: 'image/jpeg' }));
      const zone = document.querySelector('#drop-zone');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, bytes);
    assert.equal(await page.textContent('#file-chosen .chosen-name'), 'dropped.jpg');
    assert.equal(await page.isDisabled('#file-submit'), false);
  });

  it('takes a pasted picture', async () => {
    const bytes = (await readFile(NO_FACE_PHOTO)).toString('base64');
    await page.evaluate((b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'pasted.jpg', { type: 'image/jpeg' }));
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    }, bytes);
    assert.equal(await page.textContent('#file-chosen .chosen-name'), 'pasted.jpg');
  });

  it('shows a file name with HTML in it as text', async () => {
    const name = '<img src=x onerror=alert(1)>.jpg';
    await page.setInputFiles('#file-input', { name, mimeType: 'image/jpeg', buffer: await readFile(NO_FACE_PHOTO) });
    assert.equal(await page.textContent('#file-chosen .chosen-name'), name);
    await page.click('#file-submit');
    await page.waitForSelector('#result:not([hidden])', { timeout: 60_000 });
    assert.deepEqual(await readCounts('#result'), { faces: 0, masked: 0, unmasked: 0 });
    assert.equal(await page.$$eval('img[src="x"]', (imgs) => imgs.length), 0);
    assert.deepEqual(dialogs, []);
  });

  it('fetches a photo from a URL and shows the result', async () => {
    await go('/upload');
    // The errors shown, one at a time: those in the status region and at the fields.
    const errorsShown = () =>
      page.$$eval('.status[data-kind="error"], .field-error:not([hidden])', (els) =>
        els.map((el) => el.textContent.trim()).filter((text) => text !== ''),
      );
    // A refused file, then the person turns to the address form: the drop area is no
    // longer red and the file's message is gone.
    await page.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.waitForSelector('#drop-zone[data-invalid="true"]');
    assert.equal((await errorsShown()).length, 1);
    await page.click('#url-input');
    assert.equal(await page.getAttribute('#drop-zone', 'data-invalid'), null);
    assert.deepEqual(await errorsShown(), []);

    await page.fill('#url-input', 'not a url');
    await page.click('#url-submit');
    assert.equal(await page.getAttribute('#url-input', 'aria-invalid'), 'true');
    assert.equal((await errorsShown()).length, 1);
    // A file error now replaces the address's, rather than standing beside it.
    await page.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    assert.equal(await page.getAttribute('#url-input', 'aria-invalid'), null);
    assert.deepEqual(await errorsShown(), [await page.textContent('#upload-status')]);

    await page.fill('#url-input', `${photoServer.url}/photos/missing.png`);
    assert.deepEqual(await errorsShown(), []);
    await page.click('#url-submit');
    await page.waitForSelector('#upload-status[data-kind="error"]', { timeout: 60_000 });
    // Plain words, no library or HTTP wording, and the request id for the log.
    const message = await page.textContent('#upload-status');
    assert.match(message, /^There is no photo at that address: the site answered “not found”\. \(Request [\w.:-]+\.\)$/);
    assert.doesNotMatch(message, /fetching|curl|HTTP|404/i);
    assert.deepEqual(await errorsShown(), [message]);

    await page.fill('#url-input', `${photoServer.url}/photos/crowd.png`);
    await page.click('#url-submit');
    await page.waitForSelector('#upload-status[data-kind="success"]', { timeout: 60_000 });
    assert.equal(await page.textContent('#result .result-name'), 'crowd.png');
    const counts = await readCounts('#result');
    assert.ok(counts.faces > 0);
    assert.equal(counts.masked + counts.unmasked, counts.faces);
    await page.waitForFunction(() => document.querySelector('#result img.photo')?.naturalWidth > 0);
  });

  it('shows photos sent through the JSON API in the history too', async () => {
    for (const name of ['maksssksksss21.png', 'maksssksksss108.png', 'maksssksksss119.png']) {
      const bytes = (await readFile(testPhoto(`face-mask/images/${name}`))).toString('base64');
      const status = await page.evaluate(
        async ({ b64, fileName }) => {
          const { csrf_token: token } = await (await fetch('/api/v1/session')).json();
          const form = new FormData();
          const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          form.append('file', new Blob([data], { type: 'image/png' }), fileName);
          const response = await fetch('/api/v1/images', { method: 'POST', body: form, headers: { 'X-CSRF-Token': token } });
          return response.status;
        },
        { b64: bytes, fileName: name },
      );
      assert.equal(status, 201, name);
    }
  });

  it('lists all photos first, then the four lists, each with its total, newest first', async () => {
    await go('/history');
    await page.waitForSelector('.thumb, .empty');
    const tabs = await page.$$eval('a.tab', (as) =>
      as.map((a) => [a.dataset.category, Number(/\d+/.exec(a.querySelector('.tab-count')?.textContent ?? '')?.[0])]),
    );
    const totals = Object.fromEntries(tabs);
    assert.deepEqual(Object.keys(totals), ['all', 'no_faces', 'all_masked', 'none_masked', 'some_masked']);
    assert.equal(totals.no_faces, 1);
    assert.equal(totals.all_masked + totals.none_masked + totals.some_masked, 5);
    assert.equal(totals.all, 6);
    assert.ok(totals[masksPhoto.category] >= 1);
    // Without a category the page opens on all photos, newest first.
    assert.equal(new URL(page.url()).search, '');
    assert.equal(await page.getAttribute('a.tab[data-category="all"]', 'aria-current'), 'page');
    assert.equal(await page.textContent('#list-heading'), 'All photos');
    assert.equal(await page.$$eval('.thumb', (thumbs) => thumbs.length), 6);
    const shown = await page.$$eval('.thumb time', (els) => els.map((el) => el.getAttribute('datetime')));
    assert.deepEqual(shown, [...shown].sort().reverse(), 'newest first');
    assert.match(await page.textContent('#list-summary'), /^1–6 of 6 photos, newest first$/);

    const { category } = masksPhoto;
    await page.click(`a.tab[data-category="${category}"]`);
    await page.waitForURL(new RegExp(`category=${category}`));
    await page.waitForSelector(`.thumb a[href="/images/${masksPhoto.id}"]`);
    assert.equal(await page.getAttribute(`a.tab[data-category="${category}"]`, 'aria-current'), 'page');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.thumb img')].every((img) => img.complete && img.naturalWidth > 0),
    );
    const times = await page.$$eval('.thumb time', (els) => els.map((el) => el.textContent));
    assert.ok(times.length > 0);
    for (const time of times) assert.match(time, TIME);
    await expectAccessible('history');
    await screenshot(page, 'history');

    // The back button returns to the first tab.
    await page.goBack();
    await page.waitForURL((url) => url.pathname === '/history' && url.search === '');
    await page.waitForSelector('a.tab[data-category="all"][aria-current="page"]');

    // From the keyboard: Enter on a tab shows its list and leaves the focus on the tab.
    await page.focus('a.tab[data-category="all_masked"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('a.tab[data-category="all_masked"][aria-current="page"]');
    await page.waitForURL(/category=all_masked/);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-category')), 'all_masked');
  });

  it('shows a detail page: annotated picture, original on request, counts, faces table', async () => {
    await go(`/images/${masksPhoto.id}`);
    await page.waitForSelector('#detail:not([hidden])');
    assert.deepEqual(await readCounts('#detail-counts'), masksPhoto.counts);
    // In the page's narrow right-hand column too, each word keeps clear of its tile's edges.
    for (const [word, margin] of await countMargins('#detail-counts')) assert.ok(margin >= 6, `${word}: ${margin}px from its tile's edge`);
    const rows = await page.$$('#faces tbody tr');
    assert.equal(rows.length, masksPhoto.counts.faces);
    const masked = await page.$$eval('#faces tbody .tag-masked', (tags) => tags.length);
    assert.equal(masked, masksPhoto.counts.masked);
    assert.match(await page.locator('#detail-facts dt:text-is("Checked") + dd').textContent(), TIME);
    assert.match((await page.textContent('#detail-meta')).split(' · ')[1], TIME);

    // The faces are numbered on the picture as in the table, each number on its face.
    await page.waitForFunction(() => document.querySelector('#detail-image').naturalWidth > 0);
    const numbers = await page.$$eval('.face-layer:not([hidden]) .face-marker', (markers) => markers.map((m) => m.textContent));
    assert.deepEqual(numbers, rows.map((_, i) => String(i + 1)));
    const placement = await page.evaluate(async (id) => {
      const image = await (await fetch(`/api/v1/images/${id}`)).json();
      const picture = document.querySelector('#detail-image').getBoundingClientRect();
      const layer = document.querySelector('.face-layer').getBoundingClientRect();
      const scale = layer.width / image.width;
      return {
        layerInPicture:
          layer.left >= picture.left - 1 && layer.right <= picture.right + 1 && layer.top >= picture.top - 1 && layer.bottom <= picture.bottom + 1,
        aspect: [layer.width / layer.height, image.width / image.height],
        offsets: image.faces.flatMap((face, i) => {
          const box = document.querySelector(`.face-marker[data-face="${i + 1}"]`).getBoundingClientRect();
          return [box.left - layer.left - face.x * scale, box.top - layer.top - face.y * scale, box.width - face.w * scale, box.height - face.h * scale];
        }),
      };
    }, masksPhoto.id);
    assert.ok(placement.layerInPicture, 'the numbers lie on the shown picture');
    assert.ok(Math.abs(placement.aspect[0] - placement.aspect[1]) < 0.02, `aspect ${placement.aspect}`);
    for (const offset of placement.offsets) assert.ok(Math.abs(offset) < 1.5, `a marker is ${offset}px off its face`);
    // Pointing at a row outlines its face, and the other way round.
    const last = rows.length;
    await page.hover(`#faces tbody tr:nth-child(${last})`);
    assert.deepEqual(await page.$$eval('.face-marker.highlight', (ms) => ms.map((m) => m.dataset.face)), [String(last)]);
    await page.hover('.face-marker[data-face="1"]');
    assert.deepEqual(await page.$$eval('#faces tbody tr.highlight th', (ths) => ths.map((th) => th.textContent)), ['1']);
    await page.hover('#detail-title');
    assert.equal(await page.$$eval('.highlight', (els) => els.length), 0);

    const picture = '#detail-image';
    assert.match(await page.getAttribute(picture, 'src'), /\/annotated$/);
    assert.equal(await page.textContent('#toggle-original'), 'Show original');
    await page.click('#toggle-original');
    assert.equal(await page.getAttribute('#toggle-original', 'aria-pressed'), 'true');
    assert.equal(await page.textContent('#toggle-original'), 'Show annotated');
    assert.match(await page.getAttribute(picture, 'src'), /\/original$/);
    await page.waitForFunction((sel) => {
      const img = document.querySelector(sel);
      return img.complete && img.naturalWidth > 0;
    }, picture);
    await page.click('#toggle-original');
    assert.match(await page.getAttribute(picture, 'src'), /\/annotated$/);
    assert.equal(await page.textContent('#toggle-original'), 'Show original');
    await page.waitForFunction((sel) => document.querySelector(sel).naturalWidth > 0, picture);
    await expectAccessible('image detail');
    await screenshot(page, 'image-detail', { fullPage: true });
  });

  it('deletes a photo only after confirmation', async () => {
    await go('/history?category=no_faces');
    await page.click('.thumb a');
    await page.waitForSelector('#detail:not([hidden])');
    const detailUrl = page.url();

    await page.click('#delete-image');
    await page.waitForSelector('dialog[open]');
    await screenshot(page, 'image-delete-confirmation');
    await page.click('dialog[open] button[value="cancel"]');
    await page.waitForSelector('dialog', { state: 'detached' });
    assert.equal(page.url(), detailUrl);

    await page.click('#delete-image');
    await page.click('dialog[open] button[value="confirm"]');
    await page.waitForURL(/\/history\?category=no_faces/);
    await ready();
    await page.waitForSelector('#page-status[data-kind="success"]');
    await page.waitForSelector('.empty');
    const response = await page.goto(detailUrl.replace('/images/', '/api/v1/images/'));  // JSON, no page
    assert.equal(response.status(), 404);
  });

  it('changes the password (a wrong current one is refused)', async () => {
    await go('/account');
    await page.waitForSelector('#profile dd');
    assert.match(await page.locator('#profile dt:text-is("Member since") + dd').textContent(), TIME);
    await page.fill('#current-password', 'wrong-password');
    await page.fill('#new-password', NEW_ADMIN_PASSWORD);
    await page.fill('#confirm-password', NEW_ADMIN_PASSWORD);
    await page.click('#password-submit');
    await page.waitForSelector('#password-status[data-kind="error"]');
    assert.equal(await page.getAttribute('#current-password', 'aria-invalid'), 'true');

    await page.fill('#current-password', ADMIN_PASSWORD);
    await page.click('#password-submit');
    await page.waitForSelector('#password-status[data-kind="success"]');
    await expectAccessible('account');
    await screenshot(page, 'account');
  });

  it('lets the administrator create and delete accounts, with validation', async () => {
    await go('/admin/users');
    await page.waitForSelector('#users-body tr');
    assert.equal(await page.$$eval('#users-body tr', (rows) => rows.length), 1);

    // Browser-side validation: nothing is sent.
    await page.fill('#new-username', 'has space');
    await page.fill('#new-password', 'short');
    await page.click('#create-submit');
    assert.equal(await page.getAttribute('#new-username', 'aria-invalid'), 'true');
    assert.equal(await page.getAttribute('#new-password', 'aria-invalid'), 'true');

    for (const name of ['carol', 'bob.tester']) {
      await page.fill('#new-username', name);
      await page.fill('#new-password', `${name}-password`);
      await page.fill('#new-email', `${name}@example.com`);
      await page.click('#create-submit');
      await page.waitForSelector(`#create-status[data-kind="success"]`);
      await page.waitForFunction((n) => document.querySelector('#users-body')?.textContent?.includes(n), name);
    }
    await expectAccessible('users');
    await screenshot(page, 'admin-users');

    // The server's refusal of a taken name is shown.
    await page.fill('#new-username', 'carol');
    await page.fill('#new-password', 'another-password');
    await page.click('#create-submit');
    await page.waitForSelector('#new-username-error:not([hidden])');
    assert.equal(await page.textContent('#new-username-error'), 'This username is taken. Choose another one.');
    assert.equal(await page.getAttribute('#new-username', 'aria-invalid'), 'true');
    // Said once, at the field: not again in the server's words beside the button.
    assert.equal(await page.textContent('#create-status'), '');
    await expectAccessible('users (refused name)');
    // Changing the name clears it.
    await page.fill('#new-username', 'carol.two');
    assert.equal(await page.getAttribute('#new-username', 'aria-invalid'), null);
    assert.equal(await page.isHidden('#new-username-error'), true);

    const bobRow = page.locator('#users-body tr', { hasText: 'bob.tester' });
    await bobRow.getByRole('button', { name: 'Delete bob.tester' }).click();
    await page.click('dialog[open] button[value="confirm"]');
    await page.waitForFunction(() => !document.querySelector('#users-body')?.textContent?.includes('bob.tester'));
    assert.equal(await page.$$eval('#users-body tr', (rows) => rows.length), 2);
  });

  it('logs out, and the pages then ask for a login again', async () => {
    await page.click('#site-user button');
    await page.waitForURL(/\/login/);
    await go('/upload');
    await page.waitForURL(/\/login/);
    await page.waitForSelector('#login-form');
  });

  it('recovers a password through the emailed link', async () => {
    await go('/login');
    await page.click('a[href="/forgot"]');
    await page.waitForURL(/\/forgot/);
    await ready();
    await page.waitForSelector('#forgot-form');
    await page.fill('#username', 'carol');
    await page.click('#forgot-submit');
    await page.waitForSelector('#forgot-status[data-kind="success"]');
    await expectAccessible('forgot');
    await screenshot(page, 'forgot');

    const link = await waitForResetLink(path.join(worker.dataDir, 'outbox')).catch((error) => {
      throw new Error(`${error.message}\nworker log:\n${worker.log().slice(-4000)}`);
    });
    await go(link);
    await page.waitForSelector('#reset-form');
    await page.fill('#new-password', 'carol-new-password');
    await page.fill('#confirm-password', 'carol-new-password-typo');
    await page.click('#reset-submit');
    assert.equal(await page.getAttribute('#confirm-password', 'aria-invalid'), 'true');
    await page.fill('#confirm-password', 'carol-new-password');
    await page.click('#reset-submit');
    await page.waitForSelector('#reset-status[data-kind="success"]');
    await page.click('#reset-done a');
    await page.waitForSelector('#login-form');

    // The used link is refused as soon as its page opens, before a password is typed.
    await go(link);
    await page.waitForSelector('#reset-status[data-kind="error"]');
    assert.match(await page.textContent('#reset-status'), /already used or expired/);
    assert.equal(await page.isHidden('#reset-form'), true);
    await expectAccessible('reset, used link');
    await go('/login');
    await page.waitForSelector('#login-form');
  });

  it('hides the administration from an ordinary user', async () => {
    await logIn('carol', 'carol-new-password');
    await page.waitForURL(/\/upload/);
    await ready();
    // Carol adds an e-mail address on her account page (the current password confirms it).
    await go('/account');
    await page.waitForSelector('#profile dd');
    assert.equal(await page.inputValue('#email'), 'carol@example.com');
    await page.fill('#email', 'carol.new@example.com');
    await page.click('#email-submit');
    assert.equal(await page.getAttribute('#email-password', 'aria-invalid'), 'true');
    await page.fill('#email-password', 'not-her-password');
    await page.click('#email-submit');
    await page.waitForSelector('#email-password-error:not([hidden])');
    assert.equal(await page.textContent('#email-password-error'), 'The current password is not right.');
    assert.equal(await page.textContent('#email-status'), '', 'said once, at the field');
    // From the keyboard: Enter in the form sends it.
    await page.fill('#email-password', 'carol-new-password');
    await page.press('#email-password', 'Enter');
    await page.waitForSelector('#email-status[data-kind="success"]');
    assert.equal(await page.textContent('#email-status'), 'Saved: reset links now go to carol.new@example.com.');
    assert.equal(await page.locator('#profile dt:text-is("Email") + dd').textContent(), 'carol.new@example.com');
    assert.equal(await page.evaluate(async () => (await (await fetch('/api/v1/session')).json()).user.email), 'carol.new@example.com');
    await expectAccessible('account, e-mail changed');

    await page.waitForSelector('#site-nav:not([hidden])');
    const links = await page.$$eval('#site-nav a', (as) => as.map((a) => a.textContent));
    assert.deepEqual(links, ['Upload', 'History', 'Account']);
    await go('/admin/users');
    await page.waitForSelector('#page-status[data-kind="error"]');
    assert.equal(await page.isHidden('#users-section'), true);
    const status = await page.evaluate(async () => (await fetch('/api/v1/users')).status);
    assert.equal(status, 403);
  });

  it('fits a 375 px wide screen', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await go('/upload');
    await page.waitForSelector('#site-nav:not([hidden])');
    await page.setInputFiles('#file-input', MASKS_PHOTO);
    await page.click('#file-submit');
    await page.waitForSelector('#result:not([hidden])', { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('#result img.photo')?.naturalWidth > 0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await expectAccessible('upload result, 375 px');
    await screenshot(page, 'upload-result-375', { fullPage: true });
    await go('/history');
    await page.waitForSelector('.thumb');
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0);
    await screenshot(page, 'history-375', { fullPage: true });
  });

  it('fits a 390 px phone: the faces table whole, the counts clear of their edges, addresses wrapped between their parts', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await go('/upload');
    await page.waitForSelector('#site-nav:not([hidden])');
    await page.fill('#url-input', `${photoServer.url}/photos/crowd.png`);
    await page.click('#url-submit');
    await page.waitForSelector('#upload-status[data-kind="success"]', { timeout: 60_000 });
    for (const [word, margin] of await countMargins('#result')) assert.ok(margin >= 6, `${word}: ${margin}px from its tile's edge`);

    await page.click('#result a[href^="/images/"]');
    await page.waitForURL(/\/images\/\d+$/);
    await ready();
    await page.waitForSelector('#detail:not([hidden])');
    // Every column of the faces table is on the screen, nothing to scroll sideways.
    const table = await page.$eval('#faces .table-wrap', (wrap) => ({
      cut: wrap.scrollWidth - wrap.clientWidth,
      hidden: [...wrap.querySelectorAll('th, td')].filter((cell) => cell.offsetParent === null).length,
    }));
    assert.deepEqual(table, { cut: 0, hidden: 0 });
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0);
    // The address wraps between its parts: no part is split over two lines.
    const address = await page.evaluate(() => {
      const term = [...document.querySelectorAll('#detail-facts dt')].find((dt) => dt.textContent === 'Name');
      const value = term.nextElementSibling;
      const parts = [...value.childNodes].filter((node) => node.nodeType === Node.TEXT_NODE);
      // The lines a text node's characters lie on, by their tops.
      const tops = (node) => {
        const range = document.createRange();
        range.selectNodeContents(node);
        return [...range.getClientRects()].map((rect) => Math.round(rect.top));
      };
      return {
        text: value.textContent,
        split: parts.filter((part) => new Set(tops(part)).size > 1).map((part) => part.textContent),
        lines: new Set(parts.flatMap(tops)).size,
      };
    });
    assert.equal(address.text, `${photoServer.url}/photos/crowd.png`);
    assert.ok(address.lines > 1, 'the address is long enough to wrap at this width');
    assert.deepEqual(address.split, []);
    await expectAccessible('image detail, 390 px');
    await screenshot(page, 'image-detail-390', { fullPage: true });
  });

  it('ran without script errors', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(dialogs, []);
  });
});

/** The path of a reset link in the worker's outbox folder (mails are files there). */
async function waitForResetLink(outbox) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const links = [];
    for (const file of await readdir(outbox, { recursive: true }).catch(() => [])) {
      const text = await readFile(path.join(outbox, file), 'utf8').catch(() => '');
      // Quoted-printable mail bodies may break long lines with "=\n".
      // Only the path is taken: the link's host is the configured public address.
      const match = /\/reset\?token=[A-Za-z0-9_\-.~%]+/.exec(text.replace(/=\r?\n/g, '').replace(/=3D/g, '='));
      if (match) links.push(match[0]);
    }
    if (links.length > 0) return links[links.length - 1];
    if (Date.now() > deadline) throw new Error(`no reset link in ${outbox}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
