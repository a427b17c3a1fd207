import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { afterAll, describe, expect, it } from "vitest";
import { startPlatform } from "../test/helpers/start.ts";
import { SERVICE_NAMES } from "./services.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = mkdtempSync(join(tmpdir(), "npm-start-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** `npm start` as a user runs it (ports 0 so it cannot clash), driven over HTTP, then SIGTERM. */
describe("npm start", () => {
  it("starts the platform on embedded defaults, prints URLs and a working client key, shuts down on SIGTERM", async () => {
    const platform = await startPlatform(root, SERVICE_NAMES, { DATA_DIR: dataDir });
    try {
      const proxyUrl = platform.url("trace-proxy");
      const key = platform.key;
      expect(key).toMatch(/^sk-local-/);
      expect((await fetch(`${platform.url("demo upstream")}/v1/models`)).status).toBe(200);
      expect((await fetch(`${proxyUrl}/ready`)).status).toBe(200);

      const res = await fetch(`${proxyUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "demo-model", messages: [{ role: "user", content: "hello" }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
      // Through the router with the demo catalogue: an OpenAI SDK call is routed and traced too.
      const sdk = new OpenAI({ baseURL: `${platform.url("router")}/v1`, apiKey: key, maxRetries: 0 });
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
      expect(await platform.stop()).toBe(0);
      expect(platform.output()).not.toContain('"level":"error"');
    } finally {
      if (platform.child.exitCode === null) platform.child.kill("SIGKILL");
    }
  });
});
