/**
 * A round of background work run every interval, one at a time: a round still running when the
 * next is due is not doubled, and a failed round is simply retried at the next interval.
 */
export class BackgroundRounds {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly round: () => Promise<unknown>) {}

  /** Runs the round every `intervalMs`, without keeping the process alive for it. */
  start(intervalMs: number): void {
    void this.stop();
    this.timer = setInterval(() => {
      this.running ??= this.round()
        .catch(() => undefined)
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the rounds and waits for one in progress. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
