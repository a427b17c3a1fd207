import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "@llmops/shared";
import type { AnomalyEvent } from "@llmops/shared/events";
import { afterEach, describe, expect, it } from "vitest";
import { webhookSignature } from "../src/sinks.ts";
import { MIN, stream, T0, trace } from "./events.ts";
import {
  FAST_CONFIG,
  ROOT,
  receiver,
  runCli,
  spikeScenario,
  startSentinel,
  TENANT_KEY,
  tempFile,
  until,
} from "./helpers.ts";

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function sentinel(...args: Parameters<typeof startSentinel>) {
  const s = await startSentinel(...args);
  closers.push(() => s.service.close());
  return s;
}

describe("sentinel service", () => {
  it("emits on llm.anomalies exactly what the replay command prints for the same events", async () => {
    const events = spikeScenario();
    const s = await sentinel();
    await s.publish(events);
    await s.processed(events.length);
    await until(() => s.anomalies.length >= 2);
    const live = s.anomalies;
    expect(live.map((a) => `${a.metric}:${a.state}`)).toContain("latency:firing");

    const file = tempFile("traces.jsonl", events.map((e) => JSON.stringify(e)).join("\n"));
    const config = tempFile("sentinel.yaml", FAST_CONFIG);
    const out = await runCli(["replay", file, "--config", config]);
    expect(out.code).toBe(0);
    const replayed = out.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as AnomalyEvent);
    expect(replayed).toEqual(live);
  });

  it("counts and dead-letters malformed and schema-invalid events, and keeps consuming", async () => {
    const s = await sentinel();
    await s.bus.publish("llm.traces", "acme", { v: 1, id: "half-an-event" });
    await s.bus.publish("llm.traces", "acme", trace(T0, { startedAt: "yesterday" }));
    await s.publish([trace(T0 + 1000)]);
    await s.processed(2);
    const dead = await s.service.bus.deadLetters("sentinel-detectors");
    expect(dead).toHaveLength(1);
    expect(dead[0]!.reason).toMatch(/^schema: /);
    const metrics = await (await s.get("/metrics", null)).text();
    expect(metrics).toMatch(/sentinel_ingestion_errors_total\{reason="schema"[^}]*\} 1/);
    expect(metrics).toMatch(/sentinel_ingestion_errors_total\{reason="startedAt"[^}]*\} 1/);
    expect(metrics).toMatch(/sentinel_events_processed_total\{[^}]*\} 2/);
    for (const name of [
      "sentinel_detection_latency_seconds_bucket",
      "sentinel_detection_errors_total",
      "sentinel_storage_errors_total",
      "sentinel_anomalies_detected_total",
      "sentinel_baseline_value",
    ])
      expect(metrics).toContain(name);
  });

  it("serves per-minute rollups and the stored anomalies, with schemas on the queries", async () => {
    const now = Date.now() - 20 * MIN;
    const events = spikeScenario(now - (now % MIN));
    const s = await sentinel();
    await s.publish(events);
    await s.processed(events.length);
    await until(() => s.anomalies.some((a) => a.state === "resolved"));
    await s.service.api.flushRollups();

    const tel = (await (await s.get("/api/v1/telemetry?hours=1")).json()) as any;
    expect(tel.data.length).toBeGreaterThanOrEqual(15);
    expect(tel.data.reduce((n: number, r: any) => n + r.requests, 0)).toBe(events.length);
    expect(tel.data[0]).toMatchObject({ provider: "openai", model: "gpt-4o-mini", errors: 0 });

    // Anomalies are stored off the consumer's path: wait for the last one to land.
    let stored: any[] = [];
    for (let i = 0; i < 100 && stored.length < s.anomalies.length; i++) {
      stored = ((await (await s.get("/api/v1/anomalies")).json()) as any).data;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stored).toHaveLength(s.anomalies.length);
    const firing = (await (await s.get("/api/v1/anomalies?state=firing")).json()) as any;
    expect(firing.data.length).toBeGreaterThan(0);
    expect(firing.data.every((a: AnomalyEvent) => a.state === "firing")).toBe(true);
    const since = new Date(Date.parse(s.anomalies.at(-1)!.detectedAt)).toISOString();
    const recent = (await (await s.get(`/api/v1/anomalies?since=${since}`)).json()) as any;
    expect(recent.data.map((a: AnomalyEvent) => a.id)).toContain(s.anomalies.at(-1)!.id);
    // A tenant key reads its own (and provider-wide) data.
    expect((await s.get("/api/v1/anomalies", TENANT_KEY)).status).toBe(200);
    expect((await s.get("/api/v1/telemetry?tenant=globex", TENANT_KEY)).status).toBe(403);

    for (const bad of [
      "/api/v1/telemetry?hours=0",
      "/api/v1/telemetry?hours=abc",
      "/api/v1/anomalies?state=open",
      "/api/v1/anomalies?since=last-week",
      "/api/v1/anomalies?limit=0",
    ]) {
      const res = await s.get(bad);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as any).error).toMatchObject({ type: "invalid_request_error" });
    }
    expect((await s.get("/api/v1/anomalies", null)).status).toBe(401);
  });

  it("alerts Alertmanager (v2, endsAt on resolve) and a signed webhook, retrying failed deliveries", async () => {
    const am = await receiver([503, 502]);
    const hook = await receiver([500]);
    closers.push(async () => {
      am.server.close();
      hook.server.close();
    });
    const secret = "webhook-secret-0123456789";
    const events = spikeScenario();
    const s = await sentinel({
      ALERTMANAGER_URL: am.url,
      WEBHOOK_URL: `${hook.url}/hooks/sentinel`,
      WEBHOOK_SECRET: secret,
      ALERT_BACKOFF_MS: "20",
    });
    await s.publish(events);
    await s.processed(events.length);
    await until(() => s.anomalies.some((a) => a.state === "resolved"));
    const emitted = s.anomalies.length;
    await until(() => hook.received.length >= emitted + 1 && am.received.length >= emitted + 2);

    expect(am.received.every((r) => r.path === "/api/v2/alerts")).toBe(true);
    const posted = am.received.slice(2).flatMap((r) => JSON.parse(r.body));
    const latency = posted.filter((a: any) => a.labels.metric === "latency");
    expect(latency[0]).toMatchObject({
      labels: { alertname: "LLMAnomaly", provider: "openai", model: "gpt-4o-mini", metric: "latency" },
    });
    expect(latency[0].endsAt).toBeUndefined();
    const resolved = latency.find((a: any) => a.endsAt);
    expect(resolved.startsAt).toBe(latency[0].startsAt);
    expect(Date.parse(resolved.endsAt)).toBeGreaterThan(Date.parse(resolved.startsAt));

    const delivered = hook.received.slice(1);
    for (const r of delivered) {
      const ts = r.headers["x-sentinel-timestamp"] as string;
      expect(r.headers["x-sentinel-signature"]).toBe(webhookSignature(secret, ts, r.body));
    }
    expect(delivered.map((r) => JSON.parse(r.body).id)).toEqual(s.anomalies.map((a) => a.id));
    const metrics = await (await s.get("/metrics", null)).text();
    expect(metrics).toMatch(/sentinel_alert_deliveries_total\{sink="alertmanager",result="retried"[^}]*\} 2/);
  });

  it("baselines survive a restart: the restarted sentinel alerts at once, a cold one would still be warming up", async () => {
    const db = await openDatabase({ dataDir: "memory" });
    closers.push(() => db.close());
    const normal = stream({ from: T0, seconds: 600, rps: 2 });
    const first = await startSentinel({}, { db });
    await first.publish(normal);
    await first.processed(normal.length);
    await first.service.close();

    // Right after the restart: a spike that a cold sentinel could not judge (within its warm-up).
    const spike = stream({ from: T0 + 10 * MIN, seconds: 50, rps: 2, latencyMs: () => 3200 });
    const restarted = await sentinel({}, { db });
    await restarted.publish(spike);
    await restarted.processed(spike.length);
    await until(() => restarted.anomalies.some((a) => a.metric === "latency"));

    const cold = await sentinel();
    await cold.publish(spike);
    await cold.processed(spike.length);
    expect(cold.anomalies).toEqual([]);
  }, 180_000);
});

describe("sentinel startup", () => {
  it("a bad detector config file is one startup message and exit 2", () => {
    const file = join(tempFile("x", ""), "..", "bad.yaml");
    writeFileSync(file, "ensemble:\n  detectors: [mad]\n  minVotes: 3\n");
    const r = spawnSync(process.execPath, ["--import", "tsx", "services/run.ts", "sentinel"], {
      cwd: ROOT,
      env: { ...process.env, SENTINEL_CONFIG_FILE: file, DATA_DIR: "memory", PORT: "0", LOG_LEVEL: "silent" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("SENTINEL_CONFIG_FILE");
    expect(r.stderr).toContain("minVotes");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("replay: bad usage exits 2; malformed lines are counted on stderr and skipped", async () => {
    expect((await runCli(["replay"])).code).toBe(2);
    expect((await runCli(["replay", "/no/such/file"])).code).toBe(2);
    expect((await runCli(["rewind", "x"])).code).toBe(2);
    const file = tempFile(
      "t.jsonl",
      ["{not json", JSON.stringify({ v: 1 }), JSON.stringify(trace(T0)), ""].join("\n"),
    );
    const r = await runCli(["replay", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("2 malformed lines skipped (1 not JSON, 1 not llm.traces v1)");
  });
});
