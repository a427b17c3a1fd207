import { Writable } from "node:stream";
import { createLogger } from "@llmops/shared";
import { describe, expect, it } from "vitest";
import { chat, harness, PROVIDER_KEY, TENANT_KEY } from "./helpers.ts";

describe("keys never leak", () => {
  it("neither the client's key nor the provider's key appears in logs, traces, metrics or responses", async () => {
    let logs = "";
    const sink = new Writable({
      write(chunk, _e, cb) {
        logs += chunk;
        cb();
      },
    });
    const h = await harness({}, { logger: createLogger("trace-proxy", "trace", sink) });
    try {
      const outputs: string[] = [];
      const calls = [
        h.call("/v1/chat/completions", { method: "POST", json: chat() }),
        h.call("/v1/chat/completions", { method: "POST", json: chat({ stream: true }) }),
        h.call("/v1/chat/completions", {
          method: "POST",
          json: chat(),
          headers: { "x-demo-mode": "garbage" },
        }),
        h.call("/v1/chat/completions", {
          method: "POST",
          body: "{",
          headers: { "content-type": "application/json" },
        }),
        h.call("/v1/chat/completions", { method: "POST", json: chat(), provider: "nope" }),
      ];
      for (const res of await Promise.all(calls)) {
        outputs.push(JSON.stringify([...res.headers]), await res.text());
      }
      const traces = await h.traces(5);
      outputs.push(JSON.stringify(traces), JSON.stringify(h.published));
      outputs.push(await (await fetch(`${h.url}/metrics`)).text());
      expect(logs.length).toBeGreaterThan(0);
      for (const text of [logs, ...outputs]) {
        expect(text).not.toContain(PROVIDER_KEY);
        expect(text).not.toContain(TENANT_KEY);
      }
      // ...while the provider key did reach the upstream
      expect(h.upstream.requests[0]!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    } finally {
      await h.close();
    }
  });
});
