/**
 * `npm start` as a user runs it, for specs: every service on a free port (ports 0), embedded defaults
 * (no Kafka, no Postgres URL, no keys: it mints its own), the demo upstream. Resolves once it printed
 * its banner; `url(name)` and `key` read what it printed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { localPortVar } from "../../services/shared/src/contract.ts";

export interface RunningPlatform {
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  url(name: string): string;
  key: string;
  /** SIGTERM, resolving with the exit code. */
  stop(): Promise<number | null>;
}

export async function startPlatform(
  cwd: string,
  services: readonly string[],
  env: Record<string, string>,
): Promise<RunningPlatform> {
  const child = spawn(process.execPath, ["--import", "tsx", "services/start.ts"], {
    cwd,
    env: {
      ...process.env,
      ...Object.fromEntries(services.map((s) => [localPortVar(s), "0"])),
      DEMO_UPSTREAM_PORT: "0",
      DEMO_CHUNK_DELAY_MS: "0",
      LOG_LEVEL: "warn",
      KAFKA_BROKERS: "",
      DATABASE_URL: "",
      API_KEYS: "",
      ADMIN_API_KEYS: "",
      UPSTREAM_URL: "",
      PROVIDERS: "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const deadline = Date.now() + 60_000;
  while (!out.includes("client API key")) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`npm start did not come up:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output: () => out,
    url: (name) => new RegExp(`${name}\\s+(http://\\S+)`).exec(out)![1]!,
    key: /client API key\s+(\S+)/.exec(out)![1]!,
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}
