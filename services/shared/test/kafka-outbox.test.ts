import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKafka, type TestKafka } from "../../../test/setup/kafka.ts";
import { type Database, KafkaBus, openDatabase } from "../src/index.ts";

// Waits stay well under the 60 s test timeout so that a stall names the step it happened in.
async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 25_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Outage behaviour needs a broker we can take down: the librdkafka mock cluster (skipped with KAFKA_BROKERS).
describe.skipIf(!!process.env.KAFKA_BROKERS)(
  "KafkaBus while Kafka is down: bounded buffer + Postgres outbox",
  () => {
    let kafka: TestKafka;
    let db: Database;
    beforeAll(async () => {
      kafka = await startKafka();
      db = await openDatabase({ dataDir: "memory" });
    });
    afterAll(async () => {
      await db?.close();
      await kafka?.stop();
    });

    const outboxRows = async () =>
      (await db.query("select count(*)::int as n from bus_outbox")).rows[0].n as number;

    it("parks events beyond the buffer in the outbox during an outage and delivers all of them once Kafka is back", async () => {
      const topic = `outage-${randomUUID()}`;
      await kafka.createTopic(topic, 1);
      const bus = new KafkaBus({
        brokers: kafka.brokers,
        clientId: "outbox-test",
        db,
        bufferMax: 5,
        retryBackoffMs: 200,
      });
      await bus.start();
      await bus.publish(topic, "k", { id: "before" });
      await bus.flush();
      expect(bus.healthy()).toBe(true);

      await kafka.down();
      for (let i = 0; i < 20; i++) await bus.publish(topic, "k", { id: `during-${i}` });
      await until(() => !bus.healthy(), "the producer to notice the outage");
      await until(async () => (await outboxRows()) > 0, "events in the outbox");

      await kafka.up();
      await bus.flush(25_000);
      expect(await outboxRows(), "outbox rows left 25 s after Kafka came back").toBe(0);

      const got = new Set<string>();
      const sub = await bus.subscribe({
        topic,
        groupId: `g-${randomUUID()}`,
        handler: (v) => void got.add((v as { id: string }).id),
      });
      await until(() => got.size === 21, "all 21 events");
      expect(got).toEqual(new Set(["before", ...Array.from({ length: 20 }, (_, i) => `during-${i}`)]));
      await sub.close();
      await bus.close();
    });

    it("on shutdown during an outage parks the buffer in the outbox; the next instance delivers it", async () => {
      const topic = `restart-${randomUUID()}`;
      await kafka.createTopic(topic, 1);
      const first = new KafkaBus({
        brokers: kafka.brokers,
        clientId: "outbox-test-1",
        db,
        bufferMax: 100,
        retryBackoffMs: 200,
      });
      await first.start();
      await first.publish(topic, "k", { id: "warm" });
      await first.flush();
      await kafka.down();
      for (let i = 0; i < 3; i++) await first.publish(topic, "k", { id: `pending-${i}` });
      await first.close();
      expect(await outboxRows()).toBe(3);

      await kafka.up();
      const second = new KafkaBus({
        brokers: kafka.brokers,
        clientId: "outbox-test-2",
        db,
        retryBackoffMs: 200,
      });
      await second.start(); // finds the outbox rows and relays them
      await until(async () => (await outboxRows()) === 0, "outbox drained");
      const got = new Set<string>();
      const sub = await second.subscribe({
        topic,
        groupId: `g-${randomUUID()}`,
        handler: (v) => void got.add((v as { id: string }).id),
      });
      await until(() => got.size === 4, "all 4 events");
      expect(got).toEqual(new Set(["warm", "pending-0", "pending-1", "pending-2"]));
      await sub.close();
      await second.close();
    });

    it("without an outbox, a full buffer rejects publish instead of growing without bound", async () => {
      const topic = `nobox-${randomUUID()}`;
      await kafka.createTopic(topic, 1);
      const bus = new KafkaBus({
        brokers: kafka.brokers,
        clientId: "nobox",
        bufferMax: 3,
        retryBackoffMs: 200,
      });
      await bus.start();
      await kafka.down();
      try {
        // the flusher may be holding up to one batch in flight; the buffer itself stays bounded
        let rejected = 0;
        for (let i = 0; i < 10; i++) await bus.publish(topic, "k", { id: `${i}` }).catch(() => rejected++);
        expect(rejected).toBeGreaterThan(0);
      } finally {
        await kafka.up();
        await bus.close();
      }
    });
  },
);
