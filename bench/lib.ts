/**
 * What every bench script shares: child processes that print {"url"} when listening, a fixed-concurrency
 * load generator (undici pool), CPU seconds and RSS of a child, and one JSON line per result.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
// The load generator uses the same undici as the proxy (the root may hoist an older major for other tools).
const { Pool } = createRequire(resolve(here, "../services/trace-proxy/package.json"))(
  "undici",
) as typeof import("undici");
export const SCALE = Number(process.env.BENCH_SCALE ?? 1);
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
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

/** Starts a bench/child.ts role in its own process. */
export async function startChild(role: string, env: Record<string, string> = {}): Promise<Child> {
  // BENCH_NODE_ARGS_<ROLE> (e.g. BENCH_NODE_ARGS_ROUTER="--cpu-prof --cpu-prof-dir=/tmp/prof"): extra
  // Node flags for one role, to profile a hop under the benchmark's own load.
  const extra = process.env[`BENCH_NODE_ARGS_${role.toUpperCase()}`]?.split(" ").filter(Boolean) ?? [];
  // --expose-gc: the memory benchmark asks the child for a full GC before each RSS reading (child.ts).
  const args = [...extra, "--expose-gc", "--import", "tsx", resolve(here, "child.ts"), role];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  children.push(child);
  const rl = createInterface({ input: child.stdout! });
  return new Promise((res, rej) => {
    child.once("exit", (code) => rej(new Error(`${role} exited with ${code}`)));
    rl.on("line", (line) => {
      try {
        const { url } = JSON.parse(line);
        if (url) res({ url, pid: child.pid!, gc: () => fullGc(child) });
      } catch {
        /* log line */
      }
    });
  });
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

export async function rssBytes(proxyUrl: string): Promise<number> {
  const text = await (await fetch(`${proxyUrl}/metrics`)).text();
  const m = /^process_resident_memory_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

export function emit(line: Record<string, unknown>) {
  // Load average at emit time: the figures are only comparable on a quiet machine.
  const env = { cpus: cpus().length, loadavg1m: round(loadavg()[0]!, 2) };
  process.stdout.write(`${JSON.stringify({ ...line, ...env })}\n`);
}

/** Stops every child this process started. */
export function stopChildren(): void {
  for (const c of children) c.kill("SIGTERM");
}
