import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = mkdtempSync(join(tmpdir(), "npm-start-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** `npm start` as a user runs it (ports 0 so it cannot clash), driven over HTTP, then SIGTERM. */
describe("npm start", () => {
  it("starts the platform on embedded defaults, prints URLs and a working client key, shuts down on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "services/start.ts"], {
      cwd: root,
      env: {
        ...process.env,
        ROUTER_PORT: "0",
        TRACE_PROXY_PORT: "0",
        COST_API_PORT: "0",
        SENTINEL_PORT: "0",
        DEMO_UPSTREAM_PORT: "0",
        DEMO_CHUNK_DELAY_MS: "0",
        DATA_DIR: dataDir,
        LOG_LEVEL: "warn",
        KAFKA_BROKERS: "",
        DATABASE_URL: "",
        API_KEYS: "",
        ADMIN_API_KEYS: "",
        UPSTREAM_URL: "",
        PROVIDERS: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const end = Date.now() + 60_000;
      while (!out.includes("client API key")) {
        if (Date.now() > end || child.exitCode !== null)
          throw new Error(`npm start did not come up:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 100));
      const proxyUrl = /trace-proxy\s+(http:\/\/\S+)/.exec(out)![1]!;
      const demoUrl = /demo upstream\s+(http:\/\/\S+)/.exec(out)![1]!;
      const key = /client API key\s+(\S+)/.exec(out)![1]!;
      expect(key).toMatch(/^sk-local-/);
      expect((await fetch(`${demoUrl}/v1/models`)).status).toBe(200);
      expect((await fetch(`${proxyUrl}/ready`)).status).toBe(200);

      const res = await fetch(`${proxyUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "demo-model", messages: [{ role: "user", content: "hello" }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
      // Through the router with the demo catalogue: an OpenAI SDK call is routed and traced too.
      const routerUrl = /router\s+(http:\/\/\S+)/.exec(out)![1]!;
      const sdk = new OpenAI({ baseURL: `${routerUrl}/v1`, apiKey: key, maxRetries: 0 });
      const { response } = await sdk.chat.completions
        .create({ model: "demo", messages: [{ role: "user", content: "hello" }] })
        .withResponse();
      expect(["demo", "demo-backup"]).toContain(response.headers.get("x-llm-provider"));
      await expect
        .poll(async () => {
          const r = await fetch(`${proxyUrl}/api/v1/traces`, { headers: { authorization: `Bearer ${key}` } });
          return ((await r.json()) as { data: unknown[] }).data.length;
        })
        .toBe(2);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(out).not.toContain('"level":"error"');
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
