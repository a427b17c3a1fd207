/**
 * Bench child process for what is not one of our services (those run from their image bundle, see
 * startChild in lib.ts): `upstream` (the demo upstream, plain node:http) or `bare-proxy` (a reference
 * floor). Prints one JSON line {"url": ...} when listening.
 */
import "./ipc-gc.mjs";
import { startDemoUpstream } from "../services/demo-upstream/src/index.ts";

const role = process.argv[2];
if (role === "upstream") {
  process.env.DEMO_RECORD = "0";
  const up = await startDemoUpstream({
    port: 0,
    host: "127.0.0.1",
    chunkDelayMs: Number(process.env.CHUNK_DELAY_MS ?? 0),
    latencyMs: Number(process.env.LATENCY_MS ?? 0),
  });
  process.stdout.write(`${JSON.stringify({ url: up.url })}\n`);
} else if (role === "bare-proxy") {
  // Reference floor: the least a Node proxy can do (node:http in, undici dispatch out, parse both JSON
  // bodies), with no auth, validation, metrics, tracing or streaming logic.
  const { createServer } = await import("node:http");
  const { createRequire } = await import("node:module");
  const { Pool } = createRequire(new URL("../services/trace-proxy/package.json", import.meta.url))(
    "undici",
  ) as typeof import("undici");
  const pool = new Pool(process.env.BARE_UPSTREAM!, { connections: 1000 });
  const drop = new Set(["host", "connection", "content-length", "authorization"]);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      JSON.parse(body.toString("utf8"));
      const headers: Record<string, string> = {};
      for (const k in req.headers) {
        const v = req.headers[k];
        if (typeof v === "string" && !drop.has(k)) headers[k] = v;
      }
      const parts: Buffer[] = [];
      let status = 502;
      // undici 7's handler API (the types in scope here are the root's hoisted undici 6, hence the cast);
      // undici tells the two APIs apart by onRequestStart.
      const handler = {
        onRequestStart: () => {},
        onResponseStart: (_c: unknown, code: number) => void (status = code),
        onResponseData: (_c: unknown, chunk: Buffer) => void parts.push(chunk),
        onResponseEnd: () => {
          const buf = Buffer.concat(parts);
          JSON.parse(buf.toString("utf8"));
          res.writeHead(status, { "content-type": "application/json" });
          res.end(buf);
        },
        onResponseError: () => {
          res.writeHead(502);
          res.end();
        },
      };
      pool.dispatch({ path: req.url!, method: "POST", headers, body }, handler as never);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1", () => {
    const addr = server.address() as { port: number };
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${addr.port}` })}\n`);
  });
} else {
  throw new Error(`unknown role ${role}`);
}
