import { randomUUID } from "node:crypto";
import { KafkaBus, type TraceEvent, traceEventSchema } from "@llmops/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKafka, type TestKafka } from "../../../test/setup/kafka.ts";
import { type DemoUpstream, startDemoUpstream } from "../../demo-upstream/src/index.ts";
import { chat, startTraceProxy, TENANT_KEY, type TraceProxy } from "./helpers.ts";

/** The proxy on a real Kafka (librdkafka mock cluster or KAFKA_BROKERS): traces out, budgets in. */
describe("trace-proxy on Kafka", () => {
  let kafka: TestKafka;
  let upstream: DemoUpstream;
  let proxy: TraceProxy;
  let url: string;
  let observer: KafkaBus;
  const traces: TraceEvent[] = [];

  beforeAll(async () => {
    kafka = await startKafka({ "llm.traces": 3, "llm.budgets": 1, "llm.anomalies": 1 });
    upstream = await startDemoUpstream();
    proxy = await startTraceProxy({
      UPSTREAM_URL: upstream.url,
      API_KEYS: `${TENANT_KEY}:acme`,
      KAFKA_BROKERS: kafka.brokers.join(","),
      STORAGE_PROFILE: "memory",
      LOG_LEVEL: "silent",
    });
    url = proxy.url;
    observer = new KafkaBus({ brokers: kafka.brokers, clientId: "observer" });
    await observer.start();
    await observer.subscribe({
      topic: "llm.traces",
      groupId: `observer-${randomUUID()}`,
      handler: (v) => void traces.push(traceEventSchema.parse(v)),
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await observer?.close();
    await upstream?.close();
    await kafka?.stop();
  });

  it("publishes one schema-valid trace per call to llm.traces, keyed by tenant", async () => {
    expect(proxy.bus.raw.kind).toBe("kafka");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${TENANT_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(chat()),
      });
      expect(res.status).toBe(200);
      ids.push(res.headers.get("x-trace-id")!);
      await res.text();
    }
    await expect
      .poll(() => ids.every((id) => traces.some((t) => t.id === id)), { timeout: 45_000, interval: 100 })
      .toBe(true);
    const mine = traces.filter((t) => ids.includes(t.id));
    expect(mine.every((t) => t.tenant === "acme" && t.usage.outputTokens === 12)).toBe(true);
  });

  it("enforces a budget cap published on llm.budgets", async () => {
    await observer.publish("llm.budgets", "acme", {
      v: 1,
      tenant: "acme",
      period: "month",
      limitUsd: 5,
      spentUsd: 5.01,
      threshold: 1,
      at: new Date().toISOString(),
    });
    await observer.flush();
    await expect
      .poll(
        async () =>
          (
            await fetch(`${url}/v1/chat/completions`, {
              method: "POST",
              headers: { authorization: `Bearer ${TENANT_KEY}`, "content-type": "application/json" },
              body: JSON.stringify(chat()),
            })
          ).status,
        { timeout: 45_000, interval: 200 },
      )
      .toBe(429);
  });
});
