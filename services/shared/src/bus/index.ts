import { KafkaBus, type KafkaBusOptions } from "./kafka.ts";
import { MemoryBus } from "./memory.ts";
import type { EventBus } from "./types.ts";

export { Deduper } from "./dedupe.ts";
export { KafkaBus } from "./kafka.ts";
export { MemoryBus } from "./memory.ts";
export * from "./typed.ts";
export { busMigrations } from "./migrations.ts";
export type * from "./types.ts";

/** KafkaBus options (KAFKA_BROKERS empty = in-process bus, which needs none of the rest). */
export type CreateBusOptions = Pick<
  KafkaBusOptions,
  "brokers" | "clientId" | "ssl" | "logger" | "db" | "registry" | "bufferMax"
>;

/** Kafka when brokers are configured, otherwise the in-process bus. */
export async function createBus(opts: CreateBusOptions): Promise<EventBus> {
  if (opts.brokers.length === 0) {
    return new MemoryBus({
      onError: (err, meta) =>
        opts.logger?.warn({ err: (err as Error).message, ...meta }, "event handler failed; redelivering"),
    });
  }
  const bus = new KafkaBus({ ...opts, brokers: opts.brokers });
  await bus.start();
  return bus;
}
