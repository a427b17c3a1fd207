import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKafka, type TestKafka } from "../../../test/setup/kafka.ts";
import { Deduper, type EventBus, KafkaBus, MemoryBus } from "../src/bus/index.ts";

/** Waits until cond() holds (polling), or fails with the given message. */
async function until(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Impl {
  name: string;
  /** Creates a topic and returns its name (unique per test). */
  topic(partitions?: number): Promise<string>;
  bus(): Promise<EventBus>;
}

/** The contract every EventBus implementation must meet. */
function busContract(impl: () => Impl) {
  const open: EventBus[] = [];
  const newBus = async () => {
    const b = await impl().bus();
    open.push(b);
    return b;
  };
  afterAll(async () => {
    await Promise.all(open.map((b) => b.close()));
  });

  it("delivers published events to a subscriber as JSON values with key and topic", async () => {
    const topic = await impl().topic();
    const bus = await newBus();
    const got: Array<{ value: unknown; key: string | null; topic: string }> = [];
    const sub = await bus.subscribe({
      topic,
      groupId: `g-${randomUUID()}`,
      handler: (value, meta) => void got.push({ value, ...meta }),
    });
    await bus.publish(topic, "tenant-a", { id: "1", n: 1, nested: { ok: true } });
    await bus.flush();
    await until(() => got.length === 1, "delivery");
    expect(got[0]).toMatchObject({ value: { id: "1", n: 1, nested: { ok: true } }, key: "tenant-a", topic });
    await sub.close();
  });

  it("an idle flush (nothing pending) leaves the bus sending: later events are still delivered", async () => {
    const topic = await impl().topic();
    const bus = await newBus();
    // A producer pass that finds nothing to do must not be left behind as the pass in progress.
    await bus.flush();
    await bus.flush();
    const got: unknown[] = [];
    const sub = await bus.subscribe({
      topic,
      groupId: `g-${randomUUID()}`,
      handler: (value) => void got.push(value),
    });
    await bus.publish(topic, null, { id: "after-idle" });
    await bus.flush(5_000);
    await until(() => got.length === 1, "the event published after an idle flush");
    expect(got).toEqual([{ id: "after-idle" }]);
    await sub.close();
  });

  it("keeps the order of events with the same key", async () => {
    const topic = await impl().topic(3);
    const bus = await newBus();
    const got: number[] = [];
    const sub = await bus.subscribe({
      topic,
      groupId: `g-${randomUUID()}`,
      handler: (v) => void got.push((v as { n: number }).n),
    });
    for (let n = 0; n < 50; n++) await bus.publish(topic, "same-key", { id: String(n), n });
    await bus.flush();
    await until(() => got.length >= 50, "50 events");
    expect(got.slice(0, 50)).toEqual([...Array(50).keys()]);
    await sub.close();
  });

  it("gives every consumer group every event and splits a group's events between its members", async () => {
    const topic = await impl().topic(2);
    const bus = await newBus();
    const a1: string[] = [];
    const a2: string[] = [];
    const b: string[] = [];
    const groupA = `a-${randomUUID()}`;
    const subs = [
      await bus.subscribe({ topic, groupId: groupA, handler: (v) => void a1.push((v as { id: string }).id) }),
      await bus.subscribe({ topic, groupId: groupA, handler: (v) => void a2.push((v as { id: string }).id) }),
      await bus.subscribe({
        topic,
        groupId: `b-${randomUUID()}`,
        handler: (v) => void b.push((v as { id: string }).id),
      }),
    ];
    const ids = Array.from({ length: 40 }, (_, i) => `e${i}`);
    for (const id of ids) await bus.publish(topic, id, { id });
    await bus.flush();
    await until(() => new Set([...a1, ...a2]).size === 40 && new Set(b).size === 40, "both groups");
    expect(new Set(b)).toEqual(new Set(ids));
    expect(new Set([...a1, ...a2])).toEqual(new Set(ids));
    // Within group A nothing is processed by both members in the steady state.
    expect(a1.length + a2.length).toBeLessThan(80);
    await Promise.all(subs.map((s) => s.close()));
  });

  it("redelivers an event whose handler failed (at-least-once) and a Deduper makes processing idempotent", async () => {
    const topic = await impl().topic();
    const bus = await newBus();
    const attempts = new Map<string, number>();
    const processed: string[] = [];
    const dedupe = new Deduper("contract");
    const sub = await bus.subscribe({
      topic,
      groupId: `g-${randomUUID()}`,
      handler: async (v) => {
        const { id } = v as { id: string };
        attempts.set(id, (attempts.get(id) ?? 0) + 1);
        if (id === "flaky" && attempts.get(id) === 1) throw new Error("transient failure");
        await dedupe.process(id, () => void processed.push(id));
      },
    });
    await bus.publish(topic, "k", { id: "before" });
    await bus.publish(topic, "k", { id: "flaky" });
    await bus.publish(topic, "k", { id: "after" });
    await bus.publish(topic, "k", { id: "before" }); // a duplicate delivery of the same event id
    await bus.flush();
    await until(() => processed.includes("after"), "after", 45_000);
    expect(attempts.get("flaky")).toBeGreaterThanOrEqual(2);
    expect(processed).toEqual(["before", "flaky", "after"]);
    await sub.close();
  });

  it("hands waiting events over in batches, in order, and redelivers a whole batch whose handler failed", async () => {
    const topic = await impl().topic();
    const bus = await newBus();
    for (let n = 0; n < 40; n++) await bus.publish(topic, "k", { id: String(n), n });
    await bus.flush();
    const sizes: number[] = [];
    const got: number[] = [];
    let failed = false;
    const sub = await bus.subscribeBatch!({
      topic,
      groupId: `g-${randomUUID()}`,
      maxBatch: 16,
      handler: (items) => {
        if (!failed && items.some((i) => (i.value as { n: number }).n === 20)) {
          failed = true;
          throw new Error("transient failure");
        }
        sizes.push(items.length);
        got.push(...items.map((i) => (i.value as { n: number }).n));
      },
    });
    await until(() => got.includes(39), "40 events", 45_000);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(16);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    // Everything once and in order, the failed batch included (after its retry).
    expect(got).toEqual([...Array(40).keys()]);
    await sub.close();
  });

  it("loses nothing across a consumer restart: a new member of the group resumes after the committed events", async () => {
    const topic = await impl().topic();
    const bus = await newBus();
    const groupId = `g-${randomUUID()}`;
    const first: string[] = [];
    const sub1 = await bus.subscribe({
      topic,
      groupId,
      handler: (v) => void first.push((v as { id: string }).id),
    });
    for (let i = 0; i < 5; i++) await bus.publish(topic, "k", { id: `a${i}` });
    await bus.flush();
    await until(() => first.length >= 5, "first batch");
    await sub1.close();
    for (let i = 0; i < 5; i++) await bus.publish(topic, "k", { id: `b${i}` });
    await bus.flush();
    const second: string[] = [];
    const sub2 = await bus.subscribe({
      topic,
      groupId,
      handler: (v) => void second.push((v as { id: string }).id),
    });
    await until(() => second.includes("b4"), "second batch", 45_000);
    expect(second.filter((id) => id.startsWith("b"))).toEqual(["b0", "b1", "b2", "b3", "b4"]);
    // Already-committed events are not replayed to the new member.
    expect(second.filter((id) => id.startsWith("a"))).toEqual([]);
    await sub2.close();
  });
}

describe("EventBus contract: in-process", () => {
  busContract(() => ({
    name: "memory",
    topic: async () => `t-${randomUUID()}`,
    bus: async () => new MemoryBus({ retryDelayMs: 10 }),
  }));
});

describe("EventBus contract: kafka (librdkafka mock cluster, or KAFKA_BROKERS)", () => {
  let kafka: TestKafka;
  beforeAll(async () => {
    kafka = await startKafka();
  });
  afterAll(async () => {
    await kafka?.stop();
  });
  busContract(() => ({
    name: "kafka",
    topic: async (partitions = 1) => {
      const name = `t-${randomUUID()}`;
      await kafka.createTopic(name, partitions);
      return name;
    },
    bus: async () => {
      const bus = new KafkaBus({ brokers: kafka.brokers, clientId: "contract-test", lingerMs: 2 });
      await bus.start();
      return bus;
    },
  }));
});
