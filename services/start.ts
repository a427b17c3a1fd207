/**
 * `npm start`: every service in services.ts, in one process, on embedded defaults.
 *   - one in-process event bus (or Kafka when KAFKA_BROKERS is set) and one embedded PGlite (or
 *     DATABASE_URL), shared by the services
 *   - a demo OpenAI-compatible upstream when neither UPSTREAM_URL nor PROVIDERS is configured
 *   - each service on its contract's port (override with <SERVICE>_PORT, e.g. TRACE_PROXY_PORT=0), callees
 *     first, each caller pointed at its callees' local URLs
 * Prints the URLs and a client API key. SIGTERM/SIGINT shut everything down gracefully.
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
  localPortVar,
  openDatabase,
  Shutdown,
  startOrder,
  startService,
} from "@llmops/shared";
import { startDemoUpstream } from "./demo-upstream/src/index.ts";
import { CONTRACTS, loadDefinition } from "./services.ts";

const env = { ...process.env };
const DEMO_CATALOGUE = join(import.meta.dirname, "router", "demo-catalogue.yaml");
const log = createLogger("platform", env.LOG_LEVEL || "info");

async function main() {
  const common = loadConfig(commonSchema, env);
  const shutdown = new Shutdown(log, common.SHUTDOWN_TIMEOUT_MS);
  shutdown.installSignalHandlers();
  const started: Array<{ name: string; url: string; note: string }> = [];

  // Client and admin keys: use the configured ones, else mint local ones for this run.
  let clientKey = "(from API_KEYS)";
  if (!env.API_KEYS && !env.ROUTER_API_KEYS && !env.API_KEYS_FILE) {
    clientKey = env.LOCAL_API_KEY || `sk-local-${randomBytes(12).toString("hex")}`;
    env.API_KEYS = `${clientKey}:local`;
  }
  let adminKey = "(from ADMIN_API_KEYS)";
  if (!env.ADMIN_API_KEYS) {
    adminKey = env.LOCAL_ADMIN_KEY || `sk-admin-${randomBytes(12).toString("hex")}`;
    env.ADMIN_API_KEYS = adminKey;
  }

  // Upstream: a real one if configured, else the demo.
  if (!env.UPSTREAM_URL && !env.PROVIDERS) {
    // The demo keeps every request for tests to inspect; a long local run must not grow with it.
    process.env.DEMO_RECORD ??= "0";
    const demo = await startDemoUpstream({
      port: Number(env.DEMO_UPSTREAM_PORT ?? 8090),
      host: "127.0.0.1",
      latencyMs: Number(env.DEMO_LATENCY_MS ?? 0),
      chunkDelayMs: Number(env.DEMO_CHUNK_DELAY_MS ?? 20),
      errorRate: Number(env.DEMO_ERROR_RATE ?? 0),
    });
    // Two providers on the one demo upstream, and the router's demo catalogue routing over both.
    env.PROVIDERS = `demo=${demo.url},demo-backup=${demo.url}`;
    env.DEFAULT_PROVIDER = "demo";
    env.ROUTER_PROVIDERS_FILE ||= DEMO_CATALOGUE;
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
    caFile: common.DATABASE_CA_FILE,
    auth: common.DATABASE_AUTH,
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

  const urls = new Map<string, string>();
  const running: Array<{ name: string; close: () => Promise<void> }> = [];
  for (const contract of startOrder(CONTRACTS)) {
    const own: Record<string, string | undefined> = {
      ...env,
      PORT: env[localPortVar(contract.name)] ?? String(contract.port),
    };
    // A caller reaches its callees where this process started them, unless the user pointed it elsewhere.
    for (const [callee, variable] of Object.entries(contract.calls)) own[variable] ||= urls.get(callee);
    const service = await startService(await loadDefinition(contract.name), {
      env: own,
      bus,
      db,
      logger: createLogger(contract.name, own.LOG_LEVEL || "info"),
    });
    running.push(service);
    urls.set(contract.name, service.url);
    started.push({ name: contract.name, url: service.url, note: contract.description });
  }
  // Callers stop before their callees; the shared bus and database last.
  for (const service of running.reverse()) shutdown.add(service.name, () => service.close());
  shutdown.add("bus", () => bus.close());
  shutdown.add("database", () => db.close());

  const routerUrl = urls.get("router");
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
    ...(routerUrl && urls.has("trace-proxy")
      ? [
          "  try (any OpenAI SDK works with the router's URL + /v1 as its base URL):",
          `    curl -s ${routerUrl}/v1/chat/completions -H "authorization: Bearer ${clientKey}" \\`,
          `      -H "content-type: application/json" -d '{"model":"demo-model","messages":[{"role":"user","content":"hello"}]}'`,
          `    curl -s ${urls.get("trace-proxy")}/api/v1/traces -H "authorization: Bearer ${clientKey}"`,
          `    curl -s ${routerUrl}/api/v1/providers -H "authorization: Bearer ${clientKey}"`,
          "",
        ]
      : []),
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
