// Refreshing a page's data every few seconds without reloading it. One run at a
// time: the next is scheduled only when the previous has finished, so a slow
// answer never piles up requests. A hidden tab skips its runs and refreshes as
// soon as it is shown again. stopAllPollers() ends every poller of the page
// (after "Stop manager" there is nothing left to ask).

const pollers = new Set<Poller>();

export class Poller {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private stopped = true;
  private again = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  /** Runs the task now (or after one interval) and then every interval. */
  start(options: { immediately?: boolean } = {}): void {
    if (!this.stopped) return;
    this.stopped = false;
    pollers.add(this);
    document.addEventListener('visibilitychange', this.onVisibility);
    if (options.immediately === false) this.schedule();
    else void this.run();
  }

  /** Runs the task as soon as the current run (if any) has finished. */
  now(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    pollers.delete(this);
    document.removeEventListener('visibilitychange', this.onVisibility);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private readonly onVisibility = (): void => {
    if (document.visibilityState === 'visible') this.now();
  };

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    try {
      if (document.visibilityState !== 'hidden') await this.task();
    } catch (error) {
      // The task reports its own failures; this only keeps the loop alive.
      console.error('maskfleet: refresh failed', error);
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      void this.run();
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, this.intervalMs);
  }
}

export function stopAllPollers(): void {
  for (const poller of [...pollers]) poller.stop();
}

/** How often the pages refresh (docs/manager.md: every 5 seconds). */
export const REFRESH_MS = 5_000;
