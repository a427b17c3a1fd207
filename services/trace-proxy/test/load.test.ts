import { describe, expect, it } from "vitest";
import { chat, harness, readSse } from "./helpers.ts";

describe("under concurrent mixed traffic", () => {
  it("records exactly one trace per call and returns the in-flight gauge to zero (no leaks)", async () => {
    const h = await harness();
    try {
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 150; i++) {
        const kind = i % 5;
        if (kind === 0) {
          calls.push(
            h.call("/v1/chat/completions", { method: "POST", json: chat({ stream: true }) }).then(readSse),
          );
        } else if (kind === 1) {
          // client gives up mid-stream
          const ac = new AbortController();
          calls.push(
            h
              .call("/v1/chat/completions", {
                method: "POST",
                json: chat({ stream: true }),
                headers: { "x-demo-chunk-delay-ms": "20" },
                signal: ac.signal,
              })
              .then(async (res) => {
                const reader = res.body!.getReader();
                await reader.read();
                ac.abort();
              })
              .catch(() => {}),
          );
        } else if (kind === 2) {
          calls.push(
            h
              .call("/v1/chat/completions", {
                method: "POST",
                body: "{oops",
                headers: { "content-type": "application/json" },
              })
              .then((r) => r.text()),
          );
        } else {
          calls.push(h.call("/v1/chat/completions", { method: "POST", json: chat() }).then((r) => r.text()));
        }
      }
      await Promise.all(calls);
      await expect.poll(async () => (await h.traces(150)).length, { timeout: 15_000 }).toBe(150);
      const traces = await h.traces(150);
      expect(new Set(traces.map((t) => t.id)).size).toBe(150);
      const by = (pred: (t: (typeof traces)[number]) => boolean) => traces.filter(pred).length;
      expect(by((t) => t.errorType === "invalid_json")).toBe(30);
      expect(by((t) => t.errorType === "client_aborted")).toBe(30);
      expect(by((t) => t.status === 200 && t.stream)).toBe(30);
      expect(by((t) => t.status === 200 && !t.stream)).toBe(60);
      await expect
        .poll(async () =>
          /trace_proxy_in_flight_requests\{[^}]*\} 0\b/.test(await (await fetch(`${h.url}/metrics`)).text()),
        )
        .toBe(true);
      await expect.poll(() => h.upstream.aborted(), { timeout: 10_000 }).toBe(30);
    } finally {
      await h.close();
    }
  });

  it("drains an in-flight stream to completion on shutdown", async () => {
    const h = await harness();
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat({ stream: true }),
      headers: { "x-demo-chunk-delay-ms": "30" },
    });
    const reading = readSse(res);
    await new Promise((r) => setTimeout(r, 60));
    const closing = h.proxy.close();
    const { events } = await reading;
    expect(events.at(-1)).toBe("[DONE]");
    await closing;
    await h.bus.close();
    await h.upstream.close();
  });
});
