/**
 * `tsx bench/profile.ts [nonstream|stream] [requests]`: CPU per request of one trace-proxy child (the
 * image's bundle, as every bench runs it) under a fixed load, for comparing builds and for profiling.
 * BENCH_NODE_ARGS_PROXY (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the proxy process;
 * PROFILE_PROXY_CPU=1 pins it to that CPU (taskset) so that it does not share a core with the load
 * generator and upstream: run this script itself under `taskset -c 0` for steadier figures.
 * PROFILE_ROLE=bare-proxy measures the bare reference pass-through instead (same harness, same load).
 */
import { loadavg } from "node:os";
import { cpuSeconds, KEY, load, startChild, stopChildren } from "./lib.ts";

const mode = process.argv[2] === "stream" ? "stream" : "nonstream";
const total = Number(process.argv[3] ?? 30_000);
const body = JSON.stringify({
  model: "demo-model",
  ...(mode === "stream" ? { stream: true } : {}),
  messages: [{ role: "user", content: "Summarise the benefits of tracing LLM calls." }],
});

const up = await startChild("upstream", { CHUNK_DELAY_MS: mode === "stream" ? "1" : "0" });
const role = process.env.PROFILE_ROLE ?? "proxy";
const pin = process.env.PROFILE_PROXY_CPU ? ["taskset", "-c", process.env.PROFILE_PROXY_CPU] : undefined;
const proxy = await startChild(
  role,
  {
    BARE_UPSTREAM: up.url,
    PROVIDERS: `demo=${up.url}`,
    DEFAULT_PROVIDER: "demo",
    API_KEYS: `${KEY}:bench`,
    STORAGE_PROFILE: "memory",
    SECURITY_ANALYSIS: "on",
    LOG_LEVEL: "warn",
    KAFKA_BROKERS: "",
  },
  { prefix: pin },
);
const concurrency = mode === "stream" ? 4 : 64;
await load(proxy.url, { total: Math.min(5000, total), concurrency, body }); // warm-up
const p0 = cpuSeconds(proxy.pid);
const r = await load(proxy.url, { total, concurrency, body });
const p1 = cpuSeconds(proxy.pid);
process.stdout.write(
  `${JSON.stringify({ role, mode, total, rps: r.rps, errors: r.errors, proxy_cpu_us_per_request: Math.round(((p1 - p0) / total) * 1e6), loadavg1m: loadavg()[0] })}\n`,
);
// Waits for the children to exit: a --cpu-prof profile is written on the way out.
await stopChildren();
