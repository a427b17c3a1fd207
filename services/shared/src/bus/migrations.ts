import type { Migration } from "../db.ts";

/** Tables of the bus: the producer outbox, processed event ids and dead letters. Namespace "bus". */
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
  {
    id: "002_dead_letters",
    sql: `
      create table if not exists bus_dead_letters (
        seq bigserial primary key,
        consumer text not null,
        topic text not null,
        partition int not null,
        "offset" text not null,
        key text,
        value text not null,
        reason text not null,
        received_at timestamptz not null default now()
      );
      create index if not exists bus_dead_letters_consumer on bus_dead_letters (consumer, received_at);`,
  },
];
