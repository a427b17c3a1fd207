import { type Consumer, Kafka, logLevel as KafkaLogLevel, Partitioners, type Producer } from "kafkajs";
import { Counter, Gauge, type Registry } from "prom-client";
import { type Database, migrate } from "../db.ts";
import type { Logger } from "../logger.ts";
import { busMigrations } from "./migrations.ts";
import { Undecodable } from "./typed.ts";
import type { BatchItem, BatchSubscribeOptions, EventBus, SubscribeOptions, Subscription } from "./types.ts";

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /** TLS (mTLS when cert/key are given); see kafkaSslFromConfig. */
  ssl?: { ca?: string; cert?: string; key?: string } | undefined;
  logger?: Logger;
  /** With a database, events that cannot be buffered while Kafka is down go to the bus_outbox table. */
  db?: Database;
  registry?: Registry;
  /** Max events held in memory while Kafka is unreachable (then: outbox, or rejected without db). */
  bufferMax?: number;
  batchSize?: number;
  lingerMs?: number;
  retryBackoffMs?: number;
}

interface Pending {
  topic: string;
  key: string | null;
  value: string;
}

const noop = () => {};

/** A Kafka message as the handlers see it: JSON, or an Undecodable with the parse error. */
function decodeMessage(
  topic: string,
  partition: number,
  message: { key: Buffer | null; value: Buffer | null; offset: string },
): BatchItem {
  const text = message.value?.toString("utf8") ?? "null";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    value = new Undecodable(text, (err as Error).message);
  }
  return {
    value,
    meta: { topic, key: message.key?.toString("utf8") ?? null, partition, offset: message.offset },
  };
}

/**
 * kafkajs-backed bus. Producer: idempotent (acks=all, one in-flight request), batched (linger + batch size),
 * with a bounded in-memory buffer; when Kafka is down and the buffer is full the backlog is parked in the
 * Postgres outbox and relayed first once Kafka is back, so accepted events are not lost.
 * Consumers: one kafkajs consumer per subscription, consumer groups, offsets committed after the handler
 * succeeds (at-least-once).
 */
export class KafkaBus implements EventBus {
  readonly kind = "kafka" as const;
  private readonly kafka: Kafka;
  private producer: Producer;
  private idempotent = true;
  private connected = false;
  private up = true;
  private closed = false;
  private buffer: Pending[] = [];
  private outboxPending = false;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private consumers = new Set<Consumer>();
  private lastErrorLog = 0;
  private readonly bufferMax: number;
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly retryBackoffMs: number;
  private readonly m: {
    published: Counter<"topic">;
    sent: Counter<"topic">;
    spilled: Counter;
    dropped: Counter;
    sendErrors: Counter;
    buffered: Gauge;
  };

  constructor(private readonly opts: KafkaBusOptions) {
    this.bufferMax = opts.bufferMax ?? 10_000;
    this.batchSize = opts.batchSize ?? 500;
    this.lingerMs = opts.lingerMs ?? 5;
    this.retryBackoffMs = opts.retryBackoffMs ?? 500;
    const log = opts.logger?.child({ component: "kafka" });
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      ...(opts.ssl ? { ssl: { rejectUnauthorized: true, ...opts.ssl } } : {}),
      connectionTimeout: 2000,
      requestTimeout: 10_000,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
      logLevel: KafkaLogLevel.WARN,
      logCreator: () => (entry) => {
        if (!log) return;
        const { message, ...rest } = entry.log;
        if (entry.level <= KafkaLogLevel.ERROR) log.warn({ ...rest, namespace: entry.namespace }, message);
        else log.debug({ ...rest, namespace: entry.namespace }, message);
      },
    });
    this.producer = this.newProducer(true);
    const reg = opts.registry ? [opts.registry] : [];
    this.m = {
      published: new Counter({
        name: "bus_events_published_total",
        help: "Events accepted by the bus producer",
        labelNames: ["topic"],
        registers: reg,
      }),
      sent: new Counter({
        name: "bus_events_sent_total",
        help: "Events acknowledged by Kafka",
        labelNames: ["topic"],
        registers: reg,
      }),
      spilled: new Counter({
        name: "bus_outbox_spilled_total",
        help: "Events parked in the Postgres outbox while Kafka was unavailable",
        registers: reg,
      }),
      dropped: new Counter({
        name: "bus_events_dropped_total",
        help: "Events rejected: buffer full and no outbox",
        registers: reg,
      }),
      sendErrors: new Counter({
        name: "bus_send_errors_total",
        help: "Failed produce attempts",
        registers: reg,
      }),
      buffered: new Gauge({
        name: "bus_buffered_events",
        help: "Events waiting in the in-memory producer buffer",
        registers: reg,
      }),
    };
  }

  private newProducer(idempotent: boolean): Producer {
    return this.kafka.producer({
      idempotent,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  private async connectProducer(): Promise<void> {
    try {
      await this.producer.connect();
    } catch (err) {
      // The idempotent producer asks the controller for a producer id. librdkafka's mock cluster (2.0.x)
      // advertises controller 0, which is not a broker; fall back to a plain acks=all producer there.
      // Consumers dedupe on event id, so the only cost is possible duplicates on retry.
      if (this.idempotent && (err as Error).name === "KafkaJSBrokerNotFound") {
        this.opts.logger?.warn(
          "cluster has no usable controller for InitProducerId; idempotent producer disabled",
        );
        await this.producer.disconnect().catch(noop);
        this.idempotent = false;
        this.producer = this.newProducer(false);
        await this.producer.connect();
        return;
      }
      throw err;
    }
  }

  async start(): Promise<void> {
    if (this.opts.db) {
      await migrate(this.opts.db, "bus", busMigrations);
      const r = await this.opts.db.query("select count(*)::int as n from bus_outbox");
      this.outboxPending = (r.rows[0]?.n ?? 0) > 0;
      if (this.outboxPending) this.schedule(0);
    }
  }

  async publish(topic: string, key: string | null, value: unknown): Promise<void> {
    if (this.closed) throw new Error("bus is closed");
    const msg: Pending = { topic, key, value: JSON.stringify(value) };
    this.m.published.inc({ topic });
    if (this.buffer.length >= this.bufferMax) {
      if (!this.opts.db) {
        this.m.dropped.inc();
        throw new Error(`event bus buffer full (${this.bufferMax} events, Kafka unavailable, no outbox)`);
      }
      const spill = this.buffer.splice(0);
      spill.push(msg);
      this.m.buffered.set(0);
      await this.writeOutbox(spill);
      return;
    }
    this.buffer.push(msg);
    this.m.buffered.set(this.buffer.length);
    this.schedule(this.buffer.length >= this.batchSize ? 0 : this.lingerMs);
  }

  private async writeOutbox(events: Pending[]): Promise<void> {
    const db = this.opts.db!;
    for (let i = 0; i < events.length; i += 500) {
      const chunk = events.slice(i, i + 500);
      const params: unknown[] = [];
      const rows = chunk.map((e, j) => {
        params.push(e.topic, e.key, e.value);
        return `($${j * 3 + 1}, $${j * 3 + 2}, $${j * 3 + 3})`;
      });
      await db.query(`insert into bus_outbox (topic, key, value) values ${rows.join(",")}`, params);
    }
    this.m.spilled.inc(events.length);
    this.outboxPending = true;
    this.opts.logger?.warn({ events: events.length }, "kafka unavailable: events parked in outbox");
  }

  private schedule(delay: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain();
    }, delay);
  }

  private drain(): Promise<void> {
    if (this.running) return this.running;
    // A pass with nothing to send completes synchronously, so the run is recorded first and
    // cleared when it settles; clearing it inside the pass would leave a settled promise behind
    // as "running" and no later drain would ever start.
    const run = this.drainPass().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  private async drainPass(): Promise<void> {
    try {
      while (true) {
        if (this.outboxPending && this.opts.db) {
          if ((await this.drainOutboxOnce()) > 0) continue;
        }
        if (this.buffer.length === 0) break;
        const batch = this.buffer.slice(0, this.batchSize);
        await this.send(batch);
        this.buffer.splice(0, batch.length);
        this.m.buffered.set(this.buffer.length);
      }
      this.up = true;
    } catch (err) {
      this.up = false;
      this.m.sendErrors.inc();
      this.connected = false;
      await this.producer.disconnect().catch(noop);
      if (Date.now() - this.lastErrorLog > 5000) {
        this.lastErrorLog = Date.now();
        this.opts.logger?.warn(
          { err: (err as Error).message, buffered: this.buffer.length },
          "kafka produce failed; will retry",
        );
      }
      if (!this.closed) this.schedule(this.retryBackoffMs);
    }
  }

  private async drainOutboxOnce(): Promise<number> {
    const db = this.opts.db!;
    return db.tx(async (client) => {
      const r = await client.query(
        "select seq, topic, key, value from bus_outbox order by seq limit $1 for update skip locked",
        [this.batchSize],
      );
      if (r.rows.length === 0) {
        this.outboxPending = false;
        return 0;
      }
      await this.send(r.rows.map((row) => ({ topic: row.topic, key: row.key, value: row.value })));
      await client.query("delete from bus_outbox where seq = any($1::bigint[])", [
        r.rows.map((row) => row.seq),
      ]);
      return r.rows.length;
    });
  }

  private async send(batch: Pending[]): Promise<void> {
    if (!this.connected) {
      await this.connectProducer();
      this.connected = true;
    }
    const byTopic = new Map<string, { key: string | null; value: string }[]>();
    for (const e of batch) {
      let list = byTopic.get(e.topic);
      if (!list) {
        list = [];
        byTopic.set(e.topic, list);
      }
      list.push({ key: e.key, value: e.value });
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    for (const [topic, messages] of byTopic) this.m.sent.inc({ topic }, messages.length);
  }

  async flush(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      await this.drain();
      if (this.buffer.length === 0 && !this.outboxPending) return;
      if (Date.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, Math.min(this.retryBackoffMs, 200)));
    }
  }

  healthy(): boolean {
    return !this.closed && this.up;
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    return this.join(opts, {
      eachMessage: async ({ topic, partition, message }) => {
        const item = decodeMessage(topic, partition, message);
        await opts.handler(item.value, item.meta);
      },
    });
  }

  async subscribeBatch(opts: BatchSubscribeOptions): Promise<Subscription> {
    const max = Math.max(1, Math.floor(opts.maxBatch));
    return this.join(opts, {
      // Offsets are resolved chunk by chunk, only after the handler took the chunk: a failure
      // redelivers from the first message of the chunk that failed.
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (let i = 0; i < batch.messages.length; i += max) {
          if (!isRunning() || isStale()) return;
          const chunk = batch.messages.slice(i, i + max);
          await opts.handler(chunk.map((m) => decodeMessage(batch.topic, batch.partition, m)));
          resolveOffset(chunk.at(-1)!.offset);
          await heartbeat();
        }
      },
    });
  }

  private async join(
    opts: Omit<SubscribeOptions, "handler">,
    run: Parameters<Consumer["run"]>[0],
  ): Promise<Subscription> {
    const consumer = this.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: true,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    });
    const joined = new Promise<void>((resolve) => {
      const off = consumer.on(consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
      setTimeout(resolve, 20_000).unref();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [opts.topic], fromBeginning: opts.fromBeginning ?? true });
    await consumer.run(run);
    this.consumers.add(consumer);
    await joined;
    return {
      close: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect().catch(noop);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush(3000).catch(noop);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.running) await this.running.catch(noop);
    if (this.buffer.length > 0) {
      if (this.opts.db) {
        await this.writeOutbox(this.buffer.splice(0)).catch((err) =>
          this.opts.logger?.error({ err: (err as Error).message }, "could not park events in outbox"),
        );
      } else {
        this.opts.logger?.error(
          { events: this.buffer.length },
          "kafka unavailable at shutdown: events lost (no outbox)",
        );
      }
    }
    await Promise.all([...this.consumers].map((c) => c.disconnect().catch(noop)));
    this.consumers.clear();
    await this.producer.disconnect().catch(noop);
  }
}
