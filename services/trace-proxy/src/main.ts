import { ConfigError, createLogger, Shutdown } from "@llmops/shared";
import { buildTraceProxy } from "./app.ts";
import { loadTraceProxyConfig } from "./config.ts";

/** Standalone entry: `tsx services/trace-proxy/src/main.ts` (the container command). */
try {
  const config = loadTraceProxyConfig();
  const logger = createLogger("trace-proxy", config.LOG_LEVEL);
  const proxy = await buildTraceProxy(config, { logger });
  const shutdown = new Shutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
  shutdown.add("trace-proxy", () => proxy.close());
  shutdown.installSignalHandlers();
  const url = await proxy.listen();
  logger.info(
    { url, providers: config.providers.map((p) => p.name), storage: config.STORAGE_PROFILE },
    "trace-proxy listening",
  );
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`trace-proxy: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
