/**
 * `npm start`: the platform in one process on embedded defaults.
 *   - one in-process event bus (or Kafka when KAFKA_BROKERS is set), shared by the services
 *   - one embedded PGlite (or DATABASE_URL), shared by the services
 *   - a demo OpenAI-compatible upstream when neither UPSTREAM_URL nor PROVIDERS is configured
 *   - each service on its own port (DESIGN.md): router 8080, trace-proxy 8081, cost-api 8082, sentinel 8083
 * Prints the URLs and a client API key. SIGTERM/SIGINT shut everything down gracefully.
 *
 * Adding a service: build it with the shared `bus`/`db` deps and push it onto `started` below.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  ConfigError,
  commonSchema,
  createBus,
  createLogger,
  createRegistry,
  kafkaSslFromConfig,
  loadConfig,
  openDatabase,
  Shutdown,
} from "@llmops/shared";
import { startDemoUpstream } from "./demo-upstream/src/index.ts";
import { buildTraceProxy } from "./trace-proxy/src/app.ts";
import { loadTraceProxyConfig } from "./trace-proxy/src/config.ts";

const env = { ...process.env };
const log = createLogger("platform", env.LOG_LEVEL ?? "info");

async function main() {
  const common = loadConfig(commonSchema, env);
  const shutdown = new Shutdown(log, common.SHUTDOWN_TIMEOUT_MS);
  shutdown.installSignalHandlers();
  const started: Array<{ name: string; url: string; note: string }> = [];

  // Client and admin keys: use the configured ones, else mint local ones for this run.
  let clientKey = "(from API_KEYS)";
  if (!env.API_KEYS && !env.ROUTER_API_KEYS && !env.API_KEYS_FILE) {
    clientKey = env.LOCAL_API_KEY ?? `sk-local-${randomBytes(12).toString("hex")}`;
    env.API_KEYS = `${clientKey}:local`;
  }
  let adminKey = "(from ADMIN_API_KEYS)";
  if (!env.ADMIN_API_KEYS) {
    adminKey = env.LOCAL_ADMIN_KEY ?? `sk-admin-${randomBytes(12).toString("hex")}`;
    env.ADMIN_API_KEYS = adminKey;
  }

  // Upstream: a real one if configured, else the demo.
  if (!env.UPSTREAM_URL && !env.PROVIDERS) {
    const demo = await startDemoUpstream({
      port: Number(env.DEMO_UPSTREAM_PORT ?? 8090),
      host: "127.0.0.1",
      latencyMs: Number(env.DEMO_LATENCY_MS ?? 0),
      chunkDelayMs: Number(env.DEMO_CHUNK_DELAY_MS ?? 20),
      errorRate: Number(env.DEMO_ERROR_RATE ?? 0),
    });
    env.PROVIDERS = `demo=${demo.url}`;
    env.DEFAULT_PROVIDER = "demo";
    env.DEMO_RECORD = "0";
    shutdown.add("demo-upstream", () => demo.close());
    started.push({
      name: "demo upstream",
      url: demo.url,
      note: "OpenAI-compatible, deterministic (DEMO_LATENCY_MS, DEMO_ERROR_RATE)",
    });
  }

  // Shared infrastructure: one database and one bus for every service in this process.
  const db = await openDatabase({
    url: common.DATABASE_URL,
    dataDir: join(common.DATA_DIR, "pg"),
    logger: log,
  });
  const bus = await createBus({
    brokers: common.KAFKA_BROKERS,
    clientId: "llmops-local",
    ssl: kafkaSslFromConfig(common),
    logger: log,
    db,
    registry: createRegistry("bus", false),
    bufferMax: common.BUS_BUFFER_MAX,
  });

  // trace-proxy :8081
  const proxyConfig = loadTraceProxyConfig({ ...env, PORT: env.TRACE_PROXY_PORT ?? "8081" });
  const proxy = await buildTraceProxy(proxyConfig, {
    bus,
    db,
    logger: createLogger("trace-proxy", proxyConfig.LOG_LEVEL),
  });
  shutdown.add("trace-proxy", () => proxy.close());
  started.push({
    name: "trace-proxy",
    url: await proxy.listen(),
    note: "/v1/* -> upstream, GET /api/v1/traces",
  });

  // router :8080, cost-api :8082, sentinel :8083 — added here as their issues land.

  shutdown.add("bus", () => bus.close());
  shutdown.add("database", () => db.close());

  const proxyUrl = started.find((s) => s.name === "trace-proxy")!.url;
  const width = Math.max(...started.map((s) => s.name.length));
  const lines = [
    "",
    "LLMOps platform is running (Ctrl-C to stop)",
    ...started.map((s) => `  ${s.name.padEnd(width)}  ${s.url}  ${s.note}`),
    "",
    `  client API key  ${clientKey}${clientKey.startsWith("(") ? "" : '   (tenant "local")'}`,
    `  admin API key   ${adminKey}`,
    `  storage         ${db.kind === "pglite" ? `embedded PGlite in ${join(common.DATA_DIR, "pg")}` : "DATABASE_URL"}; bus: ${bus.kind}`,
    "",
    "  try:",
    `    curl -s ${proxyUrl}/v1/chat/completions -H "authorization: Bearer ${clientKey}" \\`,
    `      -H "content-type: application/json" -d '{"model":"demo-model","messages":[{"role":"user","content":"hello"}]}'`,
    `    curl -s ${proxyUrl}/api/v1/traces -H "authorization: Bearer ${clientKey}"`,
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  log.fatal({ err }, "failed to start");
  process.exit(1);
});
