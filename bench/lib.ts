/**
 * What every bench script shares: child processes (our services from their image bundle, the other
 * roles from bench/child.ts), a fixed-concurrency load generator (undici pool), CPU seconds and memory
 * of a child, and one JSON line per result.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg } from "node:os";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
// The load generator uses the same undici as the proxy (the root may hoist an older major for other tools).
const { Pool } = createRequire(resolve(here, "../services/trace-proxy/package.json"))(
  "undici",
) as typeof import("undici");
export const SCALE = Number(process.env.BENCH_SCALE ?? 1);
// Throughput rounds per benchmark (BENCH_ROUNDS): the median of five holds against the one or two
// rounds per run that this shared machine slows down by 20-40 %.
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
export const n = (x: number) => Math.max(50, Math.round(x * SCALE));
export const KEY = "sk-bench";

export const children: ChildProcess[] = [];
export interface Child {
  url: string;
  pid: number;
  /** Runs a full garbage collection in the child (memory readings then show what is retained). */
  gc(): Promise<void>;
}
export function fullGc(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    child.once("message", () => res());
    child.send("gc");
  });
}
/** Starts another program under this Node (an outside peer); stopped with the children. */
export function spawnProcess(argv: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: "ignore" });
  children.push(child);
  return child;
}

/** The roles that are our services: started as their image runs them (see startChild). */
const SERVICE_ROLES: Record<string, string> = { proxy: "trace-proxy", router: "router" };
const ROOT = resolve(here, "..");
const bundles = new Map<string, string>();

/** Bundles a service with the image's own build step (services/bundle.mjs) once; its main script. */
function bundled(service: string): string {
  const cached = bundles.get(service);
  if (cached) return cached;
  const out = join(ROOT, "out", "bench", service);
  const r = spawnSync(process.execPath, [join(ROOT, "services", "bundle.mjs")], {
    env: { ...process.env, SERVICE: service, BUNDLE_OUT: out },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`bundling ${service} failed: ${r.stderr.trim()}`);
  bundles.set(service, join(out, "main.mjs"));
  return join(out, "main.mjs");
}

/** The image's runtime: the Node flags of its ENTRYPOINT and its NODE_ENV, read from services/Dockerfile. */
function imageRuntime(): { nodeFlags: string[]; nodeEnv: string } {
  const dockerfile = readFileSync(join(ROOT, "services", "Dockerfile"), "utf8");
  const [, ...nodeFlags] = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
  return { nodeFlags, nodeEnv: /^ENV .*\bNODE_ENV=(\S+)/m.exec(dockerfile)![1]! };
}

/** A free loopback port (for a child that is told its port). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/**
 * Starts a role in its own process. Our services ("proxy", "router") run as their image runs them:
 * the bundle the build stage makes, under the ENTRYPOINT's Node flags and the image's NODE_ENV, so
 * the figures are those of what ships (tsx's loader and its esbuild keepNames helpers are not in the
 * image). The other roles (the demo upstream, the bare reference) are bench/child.ts roles under tsx.
 * BENCH_NODE_ARGS_<ROLE> (e.g. BENCH_NODE_ARGS_ROUTER="--cpu-prof --cpu-prof-dir=/tmp/prof") adds
 * Node flags to one role, to profile a hop under the benchmark's own load; `prefix` runs the child
 * under another command (e.g. taskset).
 */
export async function startChild(
  role: string,
  env: Record<string, string> = {},
  opts: { prefix?: string[] } = {},
): Promise<Child> {
  const extra = process.env[`BENCH_NODE_ARGS_${role.toUpperCase()}`]?.split(" ").filter(Boolean) ?? [];
  const service = SERVICE_ROLES[role];
  const port = service ? await freePort() : 0;
  const image = service ? imageRuntime() : null;
  // --expose-gc: the memory benchmarks ask the child for a full GC before each RSS reading (ipc-gc.mjs).
  const args = image
    ? [
        ...image.nodeFlags,
        ...extra,
        "--expose-gc",
        "--import",
        resolve(here, "ipc-gc.mjs"),
        bundled(service!),
      ]
    : [...extra, "--expose-gc", "--import", "tsx", resolve(here, "child.ts"), role];
  const childEnv = image
    ? { ...process.env, NODE_ENV: image.nodeEnv, ...env, PORT: String(port), HOST: "127.0.0.1" }
    : { ...process.env, ...env };
  const [cmd, ...argv] = [...(opts.prefix ?? []), process.execPath, ...args];
  // A service's log lines (stdout) are dropped, as a child.ts role's are read past: nothing blocks on a full pipe.
  const child = spawn(cmd!, argv, {
    env: childEnv,
    stdio: ["ignore", service ? "ignore" : "pipe", "inherit", "ipc"],
  });
  children.push(child);
  const ready = (url: string): Child => ({ url, pid: child.pid!, gc: () => fullGc(child) });
  let gone = false;
  const exited = new Promise<never>((_, rej) =>
    child.once("exit", (code) => {
      gone = true;
      rej(new Error(`${role} exited with ${code}`));
    }),
  );
  exited.catch(() => {}); // a child stopped after it was ready is no failure
  if (service) {
    const url = `http://127.0.0.1:${port}`;
    const healthy = async () => {
      while (!gone) {
        if (
          await fetch(`${url}/health`).then(
            (r) => r.ok,
            () => false,
          )
        )
          return ready(url);
        await new Promise((r) => setTimeout(r, 50));
      }
      return exited;
    };
    return Promise.race([healthy(), exited]);
  }
  const rl = createInterface({ input: child.stdout! });
  return Promise.race([
    new Promise<Child>((res) =>
      rl.on("line", (line) => {
        try {
          const { url } = JSON.parse(line);
          if (url) res(ready(url));
        } catch {
          /* log line */
        }
      }),
    ),
    exited,
  ]);
}

export const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
export const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface RunResult {
  count: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
}

/** Fires `total` requests at fixed concurrency; returns latency percentiles (ms) and throughput. */
export async function load(
  url: string,
  opts: {
    total: number;
    concurrency: number;
    body: string;
    ttfb?: boolean;
    headers?: Record<string, string>;
  },
): Promise<RunResult> {
  const pool = new Pool(url, { connections: opts.concurrency, pipelining: 1 });
  const lat: number[] = [];
  let errors = 0;
  let issued = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (issued < opts.total) {
      issued++;
      const s = performance.now();
      try {
        const res = await pool.request({
          path: "/v1/chat/completions",
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${KEY}`, ...opts.headers },
          body: opts.body,
        });
        if (opts.ttfb) {
          // time to the first body chunk (the first SSE event)
          let first = true;
          for await (const _chunk of res.body) {
            if (first) {
              lat.push(performance.now() - s);
              first = false;
            }
          }
        } else {
          await res.body.dump({ limit: 1 << 20 });
          lat.push(performance.now() - s);
        }
        if (res.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await pool.close();
  lat.sort((a, b) => a - b);
  return {
    count: lat.length,
    errors,
    seconds: round(seconds, 2),
    rps: round(lat.length / seconds, 0),
    p50: round(pct(lat, 50)),
    p99: round(pct(lat, 99)),
    mean: round(lat.reduce((a, b) => a + b, 0) / lat.length),
  };
}

/** CPU seconds (user+sys) used so far by a process, from /proc (Linux); NaN elsewhere. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

/** One unlabelled gauge from a service's /metrics (prom-client's default process and Node metrics). */
export async function gauge(serviceUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?(?:e\\+\\d+)?)`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

export const rssBytes = (serviceUrl: string) => gauge(serviceUrl, "process_resident_memory_bytes");
/** V8 heap in use: after a full GC, what the process retains (RSS also counts heap V8 keeps committed). */
export const heapUsedBytes = (serviceUrl: string) => gauge(serviceUrl, "nodejs_heap_size_used_bytes");

export function emit(line: Record<string, unknown>) {
  // Load average at emit time: the figures are only comparable on a quiet machine.
  const env = { cpus: cpus().length, loadavg1m: round(loadavg()[0]!, 2) };
  process.stdout.write(`${JSON.stringify({ ...line, ...env })}\n`);
}

/** Stops every child this process started; resolves once they have exited (profiles are written then). */
export function stopChildren(): Promise<void> {
  return Promise.all(
    children.map(
      (c) =>
        new Promise<void>((res) => {
          if (c.exitCode !== null || c.signalCode !== null) return res();
          c.once("exit", () => res());
          c.kill("SIGTERM");
        }),
    ),
  ).then(() => {});
}
