import { Ajv, type ErrorObject } from "ajv";
import { Counter, type Registry } from "prom-client";
import { z } from "zod";
import type { Database } from "../db.ts";
import { type EventOf, TOPIC_SPECS, type TopicName } from "../events.ts";
import type { Logger } from "../logger.ts";
import { Deduper } from "./dedupe.ts";
import type { BatchItem, EventBus, MessageMeta, Subscription } from "./types.ts";

/** A message whose bytes are not JSON: handed on so the consumer can dead-letter it instead of losing it. */
export class Undecodable {
  constructor(
    readonly raw: string,
    readonly error: string,
  ) {}
}

export type EventHandler<T extends TopicName> = (
  event: EventOf<T>,
  meta: MessageMeta,
) => Promise<void> | void;

/**
 * Gets the valid, not yet seen events of a batch, in order. It must be idempotent on the event id itself
 * (e.g. insert ... on conflict do nothing): batch consumers skip the per-event processed-ids table.
 */
export type BatchEventHandler<T extends TopicName> = (
  events: Array<{ event: EventOf<T>; meta: MessageMeta }>,
) => Promise<void> | void;

export interface DeadLetter {
  consumer: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  reason: string;
}

export interface TypedBusOptions {
  bus: EventBus;
  logger?: Logger | undefined;
  registry?: Registry | undefined;
  /** With a database, dead letters go to bus_dead_letters and deduplication survives restarts. */
  db?: Database | undefined;
}

export interface ConsumeOptions {
  /** Consumer group id. */
  group: string;
  /** Dedupe in memory only (a group per replica: a table of its ids would outlive the replica). */
  ephemeral?: boolean;
  fromBeginning?: boolean;
}

const MEMORY_DEAD_LETTERS = 1000;
/** Event ids a batch consumer remembers to drop quick redeliveries without asking its handler. */
const RECENT_IDS = 100_000;

// Every event is checked twice (publish and consume) on the hottest paths of the platform: the topics'
// zod schemas, compiled once to JSON Schema validators, check an event in a third of zod's time.
const ajv = new Ajv({ strict: false, allErrors: false });
const VALIDATORS = Object.fromEntries(
  Object.entries(TOPIC_SPECS).map(([topic, spec]) => [
    topic,
    ajv.compile(z.toJSONSchema(spec.schema, { io: "input", target: "draft-7" })),
  ]),
) as Record<TopicName, ReturnType<typeof ajv.compile>>;

/** "usage.inputTokens: must be integer" from the validator's first error. */
function firstProblem(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return "(event): invalid";
  const path = e.instancePath.slice(1).replaceAll("/", ".");
  const missing = e.keyword === "required" ? String(e.params.missingProperty) : "";
  const where = [path, missing].filter(Boolean).join(".") || "(event)";
  return `${where}: ${missing ? "required" : e.message}`;
}

/**
 * The bus as services use it: `publish` validates an event against its topic's schema and keys it;
 * `consume` validates what arrives, drops duplicates (at-least-once delivery) and dead-letters what is
 * not a valid event, with the reason, so one bad message never stops a consumer. One implementation for
 * every consumer of a topic, so cost-api and sentinel do not each write it.
 */
export class TypedBus {
  readonly raw: EventBus;
  private readonly memoryDeadLetters: DeadLetter[] = [];
  private readonly m: {
    consumed: Counter<"topic" | "group">;
    duplicates: Counter<"topic" | "group">;
    dead: Counter<"topic" | "group" | "reason">;
  };

  constructor(private readonly opts: TypedBusOptions) {
    this.raw = opts.bus;
    const registers = opts.registry ? [opts.registry] : [];
    this.m = {
      consumed: new Counter({
        name: "bus_events_consumed_total",
        help: "Valid events handed to a consumer",
        labelNames: ["topic", "group"],
        registers,
      }),
      duplicates: new Counter({
        name: "bus_events_duplicate_total",
        help: "Redelivered events skipped (already processed)",
        labelNames: ["topic", "group"],
        registers,
      }),
      dead: new Counter({
        name: "bus_events_dead_lettered_total",
        help: "Events set aside because they are not valid events of their topic",
        labelNames: ["topic", "group", "reason"],
        registers,
      }),
    };
  }

  /** Validates and publishes; an invalid event is a bug in the producer and throws. */
  async publish<T extends TopicName>(topic: T, event: EventOf<T>): Promise<void> {
    const validate = VALIDATORS[topic];
    if (!validate(event)) throw new Error(`invalid ${topic} event: ${firstProblem(validate.errors)}`);
    await this.raw.publish(topic, (TOPIC_SPECS[topic].key as (e: EventOf<T>) => string)(event), event);
  }

  async consume<T extends TopicName>(
    topic: T,
    opts: ConsumeOptions,
    handler: EventHandler<T>,
  ): Promise<Subscription> {
    const validate = VALIDATORS[topic];
    const id = TOPIC_SPECS[topic].id as (e: EventOf<T>) => string;
    const deduper = new Deduper(opts.group, opts.ephemeral ? undefined : this.opts.db);
    const labels = { topic, group: opts.group };
    return this.raw.subscribe({
      topic,
      groupId: opts.group,
      ...(opts.fromBeginning === undefined ? {} : { fromBeginning: opts.fromBeginning }),
      handler: async (value, meta) => {
        if (value instanceof Undecodable)
          return this.deadLetter(opts.group, meta, value.raw, `malformed JSON: ${value.error}`);
        if (!validate(value))
          return this.deadLetter(
            opts.group,
            meta,
            JSON.stringify(value),
            `schema: ${firstProblem(validate.errors)}`,
          );
        const event = value as EventOf<T>;
        const fresh = await deduper.process(id(event), () => handler(event, meta));
        (fresh ? this.m.consumed : this.m.duplicates).inc(labels);
      },
    });
  }

  /**
   * Consumes in batches of up to `maxBatch` waiting events (one database round trip per batch instead of
   * per event). Invalid events are dead-lettered as in consume; redeliveries seen recently by this
   * process are dropped here, older ones must be absorbed by the handler's own idempotency.
   */
  async consumeBatch<T extends TopicName>(
    topic: T,
    opts: ConsumeOptions & { maxBatch: number },
    handler: BatchEventHandler<T>,
  ): Promise<Subscription> {
    const validate = VALIDATORS[topic];
    const id = TOPIC_SPECS[topic].id as (e: EventOf<T>) => string;
    const recent = new Set<string>();
    const labels = { topic, group: opts.group };
    const onBatch = async (items: BatchItem[]) => {
      const fresh: Array<{ event: EventOf<T>; meta: MessageMeta }> = [];
      const ids = new Set<string>();
      for (const { value, meta } of items) {
        if (value instanceof Undecodable) {
          await this.deadLetter(opts.group, meta, value.raw, `malformed JSON: ${value.error}`);
          continue;
        }
        if (!validate(value)) {
          const reason = `schema: ${firstProblem(validate.errors)}`;
          await this.deadLetter(opts.group, meta, JSON.stringify(value), reason);
          continue;
        }
        const event = value as EventOf<T>;
        const key = id(event);
        if (recent.has(key) || ids.has(key)) {
          this.m.duplicates.inc(labels);
          continue;
        }
        ids.add(key);
        fresh.push({ event, meta });
      }
      if (fresh.length) await handler(fresh);
      this.m.consumed.inc(labels, fresh.length);
      for (const key of ids) {
        recent.add(key);
        if (recent.size > RECENT_IDS) recent.delete(recent.values().next().value!);
      }
    };
    const common = {
      topic,
      groupId: opts.group,
      ...(opts.fromBeginning === undefined ? {} : { fromBeginning: opts.fromBeginning }),
    };
    if (this.raw.subscribeBatch)
      return this.raw.subscribeBatch({ ...common, maxBatch: opts.maxBatch, handler: onBatch });
    return this.raw.subscribe({ ...common, handler: (value, meta) => onBatch([{ value, meta }]) });
  }

  /** The newest dead letters of a consumer group (from the table when there is a database). */
  async deadLetters(group: string, limit = 100): Promise<DeadLetter[]> {
    if (!this.opts.db)
      return this.memoryDeadLetters
        .filter((d) => d.consumer === group)
        .slice(-limit)
        .reverse();
    const r = await this.opts.db.query(
      `select consumer, topic, partition, "offset", key, value, reason from bus_dead_letters
        where consumer = $1 order by seq desc limit $2`,
      [group, limit],
    );
    return r.rows as DeadLetter[];
  }

  private async deadLetter(group: string, meta: MessageMeta, value: string, reason: string): Promise<void> {
    const letter: DeadLetter = { consumer: group, ...meta, value, reason };
    this.m.dead.inc({ topic: meta.topic, group, reason: reason.split(":")[0]! });
    this.opts.logger?.warn(
      { topic: meta.topic, group, partition: meta.partition, offset: meta.offset, reason },
      "invalid event dead-lettered",
    );
    if (!this.opts.db) {
      this.memoryDeadLetters.push(letter);
      if (this.memoryDeadLetters.length > MEMORY_DEAD_LETTERS) this.memoryDeadLetters.shift();
      return;
    }
    // A failing insert throws: the bus redelivers, so the letter is stored or retried, never dropped.
    await this.opts.db.query(
      `insert into bus_dead_letters (consumer, topic, partition, "offset", key, value, reason)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [group, meta.topic, meta.partition, meta.offset, meta.key, value, reason],
    );
  }
}
