import type { Migration } from "../db.ts";

/** Tables of the bus: the producer outbox and processed event ids. Namespace "bus". */
export const busMigrations: Migration[] = [
  {
    id: "001_outbox",
    sql: `
      create table if not exists bus_outbox (
        seq bigserial primary key,
        topic text not null,
        key text,
        value text not null,
        created_at timestamptz not null default now()
      );
      create table if not exists bus_processed (
        consumer text not null,
        event_id text not null,
        processed_at timestamptz not null default now(),
        primary key (consumer, event_id)
      );`,
  },
];
