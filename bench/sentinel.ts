/**
 * Sentinel benchmarks (`tsx bench/sentinel.ts`, part of `npm run bench`), each one JSON line with its baseline from the same run:
 *   detectors_throughput   events/s through the detection engine on one core, vs a JSON round trip of the
 *                          same events (the least any consumer does per event)
 *   consume_to_anomaly     p50/p99 from publishing the event that closes a bucket to its anomaly arriving,
 *                          on the in-process bus, vs the bus delivering an event to a no-op consumer
 *   kafka_consume_to_anomaly  the same through Kafka (librdkafka's mock cluster, or KAFKA_BROKERS)
 *   replay_1m              `replay` of a 1M-event file (BENCH_SCALE scales it), vs reading and parsing it
 * BENCH_SCALE=0.1 for a smoke run; BENCH_ONLY=detectors,memory,kafka,replay picks some.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { createReadStream } from "node:fs";
import { fileURLToPath } from "node:url";
import { createBus, createLogger, MemoryBus, startService } from "../services/shared/src/index.ts";
import type { AnomalyEvent, TraceEvent } from "../services/shared/src/events.ts";
import { parseDetectorConfig } from "../services/sentinel/src/detect/config.ts";
import { Engine } from "../services/sentinel/src/detect/engine.ts";
import { bookPricer } from "../services/sentinel/src/detect/pricer.ts";
import { SIMULATION_PRICES } from "../services/sentinel/src/eval/evaluate.ts";
import { simulate } from "../services/sentinel/src/eval/generator.ts";
import sentinel from "../services/sentinel/src/service.ts";
import { createDatabase, startPostgres } from "../test/helpers/postgres.ts";
import { startKafka } from "../test/setup/kafka.ts";

const here = dirname(fileURLToPath(import.meta.url));
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const meta = { cpus: cpus().length, loadavg1m: Math.round(loadavg()[0]! * 100) / 100 };
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...o, ...meta })}\n`);
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

/** Busy production traffic: the simulation at 200x volume (~460 events/s of event time). */
function busyEvents(count: number): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const e of simulate({ seed: 7, days: 1, scale: 200 }).events()) {
    out.push(e);
    if (out.length >= count) break;
  }
  return out;
}

function detectorsThroughput(): void {
  const events = busyEvents(Math.round(300_000 * SCALE));
  const pricer = bookPricer(() => SIMULATION_PRICES);
  const config = parseDetectorConfig({});
  // Warm the JIT on a separate engine, then time a fresh one.
  const warm = new Engine(config, { pricer });
  for (const e of events.slice(0, 20_000)) warm.ingest(e);
  const engine = new Engine(config, { pricer });
  let anomalies = 0;
  const t0 = performance.now();
  for (const e of events) anomalies += engine.ingest(e).length;
  const seconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  let bytes = 0;
  for (const e of events) bytes += (JSON.parse(JSON.stringify(e)) as TraceEvent).id.length;
  const baseSeconds = (performance.now() - t1) / 1000;
  const rate = events.length / seconds;
  emit({
    bench: "detectors_throughput",
    events: events.length,
    series: engine.seriesCount,
    anomalies,
    events_per_second: Math.round(rate),
    json_roundtrip_events_per_second: Math.round(events.length / baseSeconds),
    ratio_vs_json_roundtrip: round(seconds / baseSeconds, 2),
    target: ">= 50 000 events/s on one core",
    pass: rate >= 50_000 && bytes > 0,
  });
}

const FAST = {
  baseline: { minSamples: 5, warmupSeconds: 60, refreshSeconds: 10 },
  alerting: { clearSeconds: 30, resolveAfter: 2, fireAfter: 2 },
  metrics: { latency: { bucketSeconds: 5 }, ttft: { bucketSeconds: 5 }, error_rate: { enabled: false } },
};

/**
 * Per deployment: 6 minutes normal, 1 minute 4x slower, 2 minutes normal; one event every 250 ms each.
 * Two more deployments ("warm-*") spike a minute earlier: their anomalies run the emit path (schema,
 * publish, the first stores) for the first time, and are reported apart as the cold start.
 */
const WARM = "warm-";
function spikeTraffic(deployments: number): TraceEvent[] {
  const t0 = Date.parse("2026-04-06T10:00:00.000Z");
  const out: TraceEvent[] = [];
  const names = [
    ...Array.from({ length: 2 }, (_, d) => `${WARM}${d}`),
    ...Array.from({ length: deployments }, (_, d) => `p${d}`),
  ];
  let i = 0;
  for (let ms = 0; ms < 9 * 60_000; ms += 250)
    for (let d = 0; d < names.length; d++) {
      i++;
      const from = names[d]!.startsWith(WARM) ? 5 * 60_000 : 6 * 60_000;
      const slow = ms >= from && ms < from + 60_000;
      const jitter = 0.8 + ((0.4 * (((Math.sin(i * 12.9898) * 43758.5453) % 1) + 1)) % 1);
      out.push({
        v: 1,
        id: `b-${i}`,
        traceId: `t-${i}`,
        tenant: "bench",
        provider: names[d]!,
        model: "m",
        operation: "chat",
        stream: true,
        // A distinct millisecond per event: the anomaly's detectedAt names the event that caused it.
        startedAt: new Date(t0 + ms + d).toISOString(),
        latencyMs: (slow ? 3200 : 800) * jitter,
        ttftMs: (slow ? 800 : 200) * jitter,
        status: 200,
        errorType: null,
        usage: { inputTokens: 500, outputTokens: 200, cachedInputTokens: 0 },
        securityFlags: [],
        securityScore: 0,
        attributes: {},
      });
    }
  return out;
}

/**
 * Publishes events one by one, each once the sentinel has taken the previous one (so no queue builds up),
 * and times every anomaly from the publish of the event that caused it to its arrival.
 */
async function consumeToAnomaly(opts: {
  kafka?: string[];
  /** A real Postgres; without it the sentinel's embedded PGlite runs its SQL on the same thread. */
  databaseUrl?: string;
}): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-bench-"));
  const configFile = join(dir, "sentinel.json");
  writeFileSync(configFile, JSON.stringify(FAST));
  const logger = createLogger("bench", "silent");
  const bus = opts.kafka
    ? await createBus({ brokers: opts.kafka, clientId: "bench", logger })
    : // Every consumer joins before the first event: a short log keeps the heap (and GC pauses) small.
      new MemoryBus({ retention: 10_000 });
  const service = await startService(sentinel, {
    env: {
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: "memory",
      LOG_LEVEL: "silent",
      SENTINEL_CONFIG_FILE: configFile,
      ...(opts.kafka ? { KAFKA_BROKERS: opts.kafka.join(",") } : {}),
      ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    },
    ...(opts.kafka ? {} : { bus }),
    logger,
  });
  const published = new Map<string, number>();
  const latencies: number[] = [];
  const cold: number[] = [];
  await bus.subscribe({
    topic: "llm.anomalies",
    groupId: "bench-anomalies",
    fromBeginning: false,
    handler: (v) => {
      const a = v as AnomalyEvent;
      const at = published.get(a.detectedAt);
      if (at !== undefined)
        (a.subject.provider.startsWith(WARM) ? cold : latencies).push(performance.now() - at);
    },
  });
  // Baseline: the same bus delivering an event to a no-op consumer.
  const echo: number[] = [];
  const sent = new Map<string, number>();
  await bus.subscribe({
    topic: "llm.budgets",
    groupId: "bench-echo",
    fromBeginning: false,
    handler: (v) => {
      const s = sent.get((v as { id: string }).id);
      if (s !== undefined) echo.push(performance.now() - s);
    },
  });
  if (opts.kafka) await new Promise((r) => setTimeout(r, 3000)); // group joins
  const events = spikeTraffic(Math.max(2, Math.round((opts.kafka ? 10 : 50) * SCALE)));
  const stats = (service.api as { stats: { processed: number } }).stats;
  const start = stats.processed;
  const consumed = async (n: number, ms: number) => {
    const deadline = Date.now() + ms;
    while (stats.processed - start < n) {
      if (Date.now() > deadline)
        throw new Error(`${n} events not consumed (${stats.processed - start} were)`);
      await new Promise((r) => setImmediate(r));
    }
  };
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    published.set(e.startedAt, performance.now());
    await bus.publish("llm.traces", e.tenant, e);
    // In process: each event once the previous one was taken, so no queue builds up. Through Kafka a
    // round trip per event would take the broker's fetch wait each time: a steady ~4,000 events/s
    // instead, which the consumer keeps up with (the first event also waits for the group join).
    if (!opts.kafka) await consumed(i + 1, 10_000);
    else if (i === 0) await consumed(1, 60_000);
    else if (i % 40 === 0) await new Promise((r) => setTimeout(r, 10));
  }
  await consumed(events.length, 120_000);
  for (let i = 0; i < 200; i++) {
    const id = `echo-${i}`;
    sent.set(id, performance.now());
    await bus.publish("llm.budgets", "bench", {
      v: 1,
      id,
      tenant: "bench",
      period: "day",
      limitUsd: 1,
      spentUsd: 1,
      threshold: 1,
      at: new Date().toISOString(),
    });
    const want = i + 1;
    const until = Date.now() + 5000;
    while (echo.length < want && Date.now() < until) await new Promise((r) => setTimeout(r, 1));
  }
  await new Promise((r) => setTimeout(r, opts.kafka ? 3000 : 200));
  await service.close();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    events: events.length,
    anomalies: latencies.length,
    p50_ms: round(pct(latencies, 50)),
    cold_anomalies: cold.length,
    cold_max_ms: round(Math.max(...cold)),
    p99_ms: round(pct(latencies, 99)),
    bus_delivery_p50_ms: round(pct(echo, 50)),
    bus_delivery_p99_ms: round(pct(echo, 99)),
  };
}

async function replay1m(): Promise<void> {
  const count = Math.round(1_000_000 * SCALE);
  const dir = mkdtempSync(join(tmpdir(), "sentinel-replay-"));
  const file = join(dir, "traces.jsonl");
  const out = createWriteStream(file);
  let n = 0;
  let buffer = "";
  for (const e of simulate({ seed: 11, days: 30, scale: 3 }).events()) {
    buffer += `${JSON.stringify(e)}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((r) => out.once("drain", () => r()));
      buffer = "";
    }
    if (++n >= count) break;
  }
  out.end(buffer);
  await new Promise<void>((r) => out.once("finish", () => r()));

  // Baseline: read and JSON.parse every line, nothing else.
  const t0 = performance.now();
  let lines = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity }))
    if (line && JSON.parse(line)) lines++;
  const parseSeconds = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", resolve(here, "../services/sentinel/src/cli.ts"), "replay", file],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let anomalies = 0;
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    for (const b of d) if (b === 10) anomalies++;
  });
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number>((r) => child.on("close", (c) => r(c ?? -1)));
  const seconds = (performance.now() - t1) / 1000;
  rmSync(dir, { recursive: true, force: true });
  emit({
    bench: "replay_1m",
    events: lines,
    anomalies,
    exit: code,
    seconds: round(seconds, 1),
    events_per_second: Math.round(lines / seconds),
    parse_only_events_per_second: Math.round(lines / parseSeconds),
    ratio_vs_parse_only: round(seconds / parseSeconds, 2),
    summary: stderr.trim().split("\n").at(-1),
    pass: code === 0,
  });
}

/** BENCH_ONLY=detectors|memory|kafka|replay (comma list) runs a subset. */
const only = new Set((process.env.BENCH_ONLY ?? "detectors,memory,kafka,replay").split(","));

async function main() {
  if (only.has("detectors")) detectorsThroughput();
  if (only.has("memory")) {
    const memory = await consumeToAnomaly({});
    emit({
      bench: "consume_to_anomaly",
      bus: "memory",
      database: "embedded PGlite (same thread)",
      ...memory,
      target: "p99 < 5 ms on the in-process bus",
      pass: (memory.p99_ms as number) < 5,
    });
    // As deployed: Postgres out of process (DATABASE_URL, else a throwaway Debian PostgreSQL).
    let server: Awaited<ReturnType<typeof startPostgres>> | undefined;
    try {
      const url = process.env.DATABASE_URL ?? (server = await startPostgres()).url;
      const withPostgres = await consumeToAnomaly({ databaseUrl: await createDatabase(url) });
      emit({
        bench: "consume_to_anomaly",
        bus: "memory",
        database: "postgres",
        ...withPostgres,
        target: "p99 < 5 ms on the in-process bus",
        pass: (withPostgres.p99_ms as number) < 5,
      });
    } catch (err) {
      emit({ bench: "consume_to_anomaly", database: "postgres", error: (err as Error).message });
    } finally {
      await server?.stop();
    }
  }
  if (only.has("kafka")) {
    let kafka: Awaited<ReturnType<typeof startKafka>> | undefined;
    try {
      kafka = await startKafka({ "llm.traces": 1, "llm.anomalies": 1, "llm.budgets": 1 });
      const viaKafka = await consumeToAnomaly({ kafka: kafka.brokers });
      emit({
        bench: "kafka_consume_to_anomaly",
        bus: kafka.kind,
        ...viaKafka,
        target: "reported (no target)",
      });
    } catch (err) {
      emit({ bench: "kafka_consume_to_anomaly", error: (err as Error).message });
    } finally {
      await kafka?.stop();
    }
  }
  if (only.has("replay")) await replay1m();
}

await main();
