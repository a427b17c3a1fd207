import type { Database } from "../db.ts";

/**
 * Idempotent consumption: `seen(id)` is true if the event was already processed by this consumer.
 * In-memory LRU always; with a database, a processed-events table makes it survive restarts.
 * Use `process(id, fn)` to run fn at most once per id (per successful completion).
 */
export class Deduper {
  private recent = new Set<string>();
  constructor(
    private readonly consumer: string,
    private readonly db?: Database,
    private readonly capacity = 100_000,
  ) {}

  async process(id: string, fn: () => Promise<void> | void): Promise<boolean> {
    if (this.recent.has(id)) return false;
    if (this.db) {
      const r = await this.db.query("select 1 from bus_processed where consumer = $1 and event_id = $2", [
        this.consumer,
        id,
      ]);
      if (r.rowCount) {
        this.remember(id);
        return false;
      }
    }
    await fn();
    if (this.db) {
      await this.db.query(
        "insert into bus_processed (consumer, event_id) values ($1, $2) on conflict do nothing",
        [this.consumer, id],
      );
    }
    this.remember(id);
    return true;
  }

  private remember(id: string): void {
    this.recent.add(id);
    if (this.recent.size > this.capacity) {
      const first = this.recent.values().next().value;
      if (first !== undefined) this.recent.delete(first);
    }
  }
}
