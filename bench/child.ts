/**
 * Bench child process: `upstream` (the demo upstream, plain node:http) or `proxy` (the real trace proxy
 * built from env, as in production). Prints one JSON line {"url": ...} when listening.
 */
import { startDemoUpstream } from "../services/demo-upstream/src/index.ts";
import { buildTraceProxy } from "../services/trace-proxy/src/app.ts";
import { loadTraceProxyConfig } from "../services/trace-proxy/src/config.ts";

const role = process.argv[2];
if (role === "upstream") {
  process.env.DEMO_RECORD = "0";
  const up = await startDemoUpstream({
    port: 0,
    host: "127.0.0.1",
    chunkDelayMs: Number(process.env.CHUNK_DELAY_MS ?? 0),
  });
  process.stdout.write(`${JSON.stringify({ url: up.url })}\n`);
} else if (role === "proxy") {
  const proxy = await buildTraceProxy(loadTraceProxyConfig());
  const url = await proxy.listen(0, "127.0.0.1");
  process.stdout.write(`${JSON.stringify({ url })}\n`);
  process.on("SIGTERM", () => void proxy.close().then(() => process.exit(0)));
} else {
  throw new Error(`unknown role ${role}`);
}
