// The start of both bundles: <body data-page="..."> says which page module runs.

export type PageModules = Readonly<Record<string, () => void | Promise<void>>>;

/**
 * Runs the page module named by `data-page` once the document is parsed, and
 * then sets `<html data-ready>` (for tests and tools: the page has attached its
 * handlers and loaded its data).
 */
export function startPages(pages: PageModules): void {
  // Forms are sent only by the page modules, through the API. A submit that comes
  // before a module has attached its handler (a quick Enter, a password manager)
  // must not fall back to the browser's own submission.
  document.addEventListener('submit', (event) => event.preventDefault(), { capture: true });

  const start = (): void => {
    const name = document.body.dataset['page'] ?? '';
    const init = pages[name];
    if (init === undefined) {
      console.error(`maskfleet: no page module for data-page="${name}"`);
      return;
    }
    Promise.resolve(init())
      .catch((error: unknown) => console.error('maskfleet: page failed to start', error))
      .finally(() => {
        document.documentElement.dataset['ready'] = 'true';
      });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}
