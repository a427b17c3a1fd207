import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger, type Database, MemoryBus, startService } from "@llmops/shared";
import type { AnomalyEvent, TraceEvent } from "@llmops/shared/events";
import { runScript } from "../../../test/helpers/cli.ts";
import sentinel from "../src/service.ts";
import { MIN, stream, T0 } from "./events.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const ADMIN_KEY = "sk-admin-sentinel";
export const TENANT_KEY = "sk-tenant-acme";

/** Detector settings scaled down so a spec runs minutes of event time, not hours. */
export const FAST_CONFIG = `
baseline: { minSamples: 5, warmupSeconds: 60, refreshSeconds: 10 }
alerting: { clearSeconds: 30, resolveAfter: 2 }
metrics:
  latency: { bucketSeconds: 5 }
  ttft: { bucketSeconds: 5 }
  error_rate: { bucketSeconds: 10 }
`;

export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-"));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** 10 minutes normal, 2 minutes of 4x latency from minute 10, 3 minutes normal: 1 800 calls at 2 rps. */
export function spikeScenario(from = T0): TraceEvent[] {
  return [
    ...stream({ from, seconds: 600, rps: 2 }),
    ...stream({ from: from + 10 * MIN, seconds: 120, rps: 2, latencyMs: () => 3200 }),
    ...stream({ from: from + 12 * MIN, seconds: 180, rps: 2 }),
  ];
}

export async function startSentinel(
  env: Record<string, string> = {},
  deps: { bus?: MemoryBus; db?: Database } = {},
) {
  const bus = deps.bus ?? new MemoryBus({ retention: 100_000 });
  const anomalies: AnomalyEvent[] = [];
  await bus.subscribe({
    topic: "llm.anomalies",
    groupId: "spec",
    handler: (v) => void anomalies.push(v as AnomalyEvent),
  });
  const service = await startService(sentinel, {
    env: {
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: "memory",
      LOG_LEVEL: "silent",
      ADMIN_API_KEYS: ADMIN_KEY,
      API_KEYS: `${TENANT_KEY}:acme`,
      SENTINEL_CONFIG_FILE: tempFile("sentinel.yaml", FAST_CONFIG),
      ...env,
    },
    bus,
    ...(deps.db ? { db: deps.db } : {}),
    logger: createLogger("sentinel", "silent"),
    instanceId: "spec",
  });
  const publish = async (events: unknown[]) => {
    for (const e of events) await bus.publish("llm.traces", "acme", e);
  };
  /** Waits until the consumer has handed n events (valid ones) to the detectors. */
  const processed = async (n: number, timeoutMs = 60_000) => {
    const until = Date.now() + timeoutMs;
    while (service.api.stats.processed < n) {
      if (Date.now() > until) throw new Error(`only ${service.api.stats.processed} of ${n} events processed`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const get = (path: string, key: string | null = ADMIN_KEY) =>
    fetch(`${service.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { service, bus, anomalies, publish, processed, get };
}

/** The replay command, as an operator runs it. */
export const runCli = (args: string[]) => runScript("services/sentinel/src/cli.ts", args);

export interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A real HTTP receiver: answers each request with the next status of `statuses` (then 200). */
export async function receiver(
  statuses: number[] = [],
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const queue = [...statuses];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      res.statusCode = queue.shift() ?? 200;
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

export async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
