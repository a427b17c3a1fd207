/**
 * `tsx bench/profile.ts [nonstream|stream] [requests]`: CPU per request of one trace-proxy child under a
 * fixed load (concurrency 64 non-streaming, 4 streaming), without the rest of the bench. Set
 * PROFILE_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") to profile the proxy process.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { Pool } = createRequire(resolve(here, "../services/trace-proxy/package.json"))(
  "undici",
) as typeof import("undici");
const mode = process.argv[2] === "stream" ? "stream" : "nonstream";
const total = Number(process.argv[3] ?? 30_000);
const KEY = "sk-bench";
const body = JSON.stringify({
  model: "demo-model",
  ...(mode === "stream" ? { stream: true } : {}),
  messages: [{ role: "user", content: "Summarise the benefits of tracing LLM calls." }],
});

function start(role: string, env: Record<string, string>, extra: string[] = []) {
  // PROFILE_PROXY_CPU=1 pins the proxy to that CPU (taskset) so that it does not share a core with
  // the load generator and upstream: run this script itself under `taskset -c 0` for steadier figures.
  const pin =
    role !== "upstream" && process.env.PROFILE_PROXY_CPU ? ["-c", process.env.PROFILE_PROXY_CPU] : null;
  const args = [...extra, "--import", "tsx", resolve(here, "child.ts"), role];
  const child = spawn(pin ? "taskset" : process.execPath, pin ? [...pin, process.execPath, ...args] : args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const rl = createInterface({ input: child.stdout! });
  return new Promise<{ url: string; child: typeof child }>((res) =>
    rl.on("line", (line) => {
      try {
        const { url } = JSON.parse(line);
        if (url) res({ url, child });
      } catch {
        /* log line */
      }
    }),
  );
}

const cpu = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
};

async function load(url: string, n: number, concurrency: number) {
  const pool = new Pool(url, { connections: concurrency });
  let issued = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued++ < n) {
        const res = await pool.request({
          path: "/v1/chat/completions",
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
          body,
        });
        if (res.statusCode !== 200) errors++;
        await res.body.dump({ limit: 1 << 20 });
      }
    }),
  );
  await pool.close();
  return { rps: Math.round(n / ((performance.now() - t0) / 1000)), errors };
}

const up = await start("upstream", { CHUNK_DELAY_MS: mode === "stream" ? "1" : "0" });
// PROFILE_ROLE=bare-proxy measures the bare reference pass-through instead (same harness, same load).
const role = process.env.PROFILE_ROLE ?? "proxy";
const proxy = await start(
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
  process.env.PROFILE_NODE_ARGS ? process.env.PROFILE_NODE_ARGS.split(" ") : [],
);
const c = mode === "stream" ? 4 : 64;
await load(proxy.url, Math.min(5000, total), c); // warm-up
const p0 = cpu(proxy.child.pid!);
const r = await load(proxy.url, total, c);
const p1 = cpu(proxy.child.pid!);
process.stdout.write(
  `${JSON.stringify({ role, mode, total, rps: r.rps, errors: r.errors, proxy_cpu_us_per_request: Math.round(((p1 - p0) / total) * 1e6), loadavg1m: loadavg()[0] })}\n`,
);
await new Promise<void>((res) => {
  proxy.child.once("exit", () => res());
  proxy.child.kill("SIGTERM");
});
up.child.kill("SIGTERM");
