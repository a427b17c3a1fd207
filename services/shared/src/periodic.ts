import type { Logger } from "./logger.ts";

/**
 * A background task run every `ms`: a tick that finds the previous run still going is skipped (so a
 * slow database never piles runs up), and a failure is logged and left to the next tick. stop() waits
 * for a run in progress, so nothing touches a pool or a bus that shutdown is about to close.
 */
export class Periodic {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | null = null;

  constructor(
    readonly name: string,
    ms: number,
    private readonly task: () => Promise<void>,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.tick(), ms);
    this.timer.unref();
  }

  /** Runs the task now unless a run is in progress; resolves when the current run ends. */
  tick(): Promise<void> {
    this.running ??= this.task()
      .catch((err) =>
        this.logger.error({ err: (err as Error).message, task: this.name }, "periodic task failed"),
      )
      .finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
