import { request as httpRequest, createServer as createHttpServer, type IncomingMessage } from "node:http";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  chat,
  type Harness,
  harness,
  OTHER_KEY,
  PROVIDER_KEY,
  readSse,
  TENANT_KEY,
} from "./helpers.ts";

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const lastTrace = async () => (await h.traces(1))[0]!;

describe("forwarding (non-streaming)", () => {
  it("forwards chat completions with the provider's key, never the client's, and records a trace", async () => {
    const before = h.upstream.requests.length;
    const res = await h.call("/v1/chat/completions", { method: "POST", json: chat() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0].message.content).toMatch(/\w+/);
    const traceId = res.headers.get("x-trace-id");
    expect(traceId).toBeTruthy();

    const seen = h.upstream.requests[before]!;
    expect(seen.url).toBe("/v1/chat/completions");
    expect(seen.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(JSON.stringify(seen.headers)).not.toContain(TENANT_KEY);
    expect(seen.headers["x-llm-provider"]).toBeUndefined();
    expect(seen.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-/);

    const traces = await h.traces(1, `&tenant=acme`);
    const t = traces.find((x) => x.id === traceId)!;
    expect(t).toMatchObject({
      v: 1,
      tenant: "acme",
      provider: "demo",
      model: "demo-model",
      operation: "chat",
      stream: false,
      status: 200,
      errorType: null,
    });
    expect(t.usage.inputTokens).toBe(body.usage.prompt_tokens);
    expect(t.usage.outputTokens).toBe(body.usage.completion_tokens);
    expect(t.usage.cachedInputTokens).toBe(body.usage.prompt_tokens_details.cached_tokens);
    expect(t.latencyMs).toBeGreaterThan(0);
    expect(t.attributes["gen_ai.request.model"]).toBe("demo-model");
    expect(t.attributes["gen_ai.usage.input_tokens"]).toBe(body.usage.prompt_tokens);
    // The same event went out on llm.traces, schema-valid.
    await expect.poll(() => h.published.some((e) => e.id === traceId)).toBe(true);
    // Provider keys are never stored.
    expect(JSON.stringify(h.published)).not.toContain(PROVIDER_KEY);
  });

  it("forwards GET /v1/models, embeddings, completions and responses", async () => {
    const models = await h.call("/v1/models");
    expect(models.status).toBe(200);
    expect(((await models.json()) as any).data.length).toBeGreaterThan(0);
    const emb = await h.call("/v1/embeddings", {
      method: "POST",
      json: { model: "demo-embed", input: ["a", "b"] },
    });
    expect(emb.status).toBe(200);
    expect(((await emb.json()) as any).data).toHaveLength(2);
    const comp = await h.call("/v1/completions", {
      method: "POST",
      json: { model: "demo-model", prompt: "hi" },
    });
    expect(comp.status).toBe(200);
    const resp = await h.call("/v1/responses", {
      method: "POST",
      json: { model: "demo-model", input: "hello" },
    });
    expect(resp.status).toBe(200);
    const t = (await h.traces(1, "&operation=x".slice(0, 0)))[0]!;
    expect(t.operation).toBe("chat");
    expect(t.usage.inputTokens).toBeGreaterThan(0);
  });

  it("selects the upstream by x-llm-provider (a base URL ending in /v1 is not doubled)", async () => {
    const before = h.upstream.requests.length;
    const res = await h.call("/v1/chat/completions", { method: "POST", json: chat(), provider: "other" });
    expect(res.status).toBe(200);
    expect(h.upstream.requests[before]!.url).toBe("/v1/chat/completions");
    // "other" has no key configured: no authorization header is sent at all.
    expect(h.upstream.requests[before]!.headers.authorization).toBeUndefined();
    const t = await lastTrace();
    expect(t.provider).toBe("other");
  });

  it("passes upstream errors through with their status and records them", async () => {
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat(),
      headers: { "x-demo-mode": "error429" },
    });
    expect(res.status).toBe(429);
    expect(((await res.json()) as any).error.message).toBe("slow down");
    const t = await lastTrace();
    expect(t).toMatchObject({ status: 429, errorType: "upstream_rate_limited" });
  });
});

describe("bad input: a clear OpenAI-style error and a recorded trace, never a crash", () => {
  it("401 for a missing or unknown key", async () => {
    for (const key of [null, "sk-nope"]) {
      const res = await h.call("/v1/chat/completions", { method: "POST", json: chat(), key });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        error: { type: "authentication_error", code: "invalid_api_key" },
      });
    }
    const t = await lastTrace();
    expect(t).toMatchObject({ tenant: "unauthenticated", status: 401, errorType: "invalid_api_key" });
  });

  it("400 for an unknown provider, naming the configured ones", async () => {
    const res = await h.call("/v1/chat/completions", { method: "POST", json: chat(), provider: "nope" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("unknown_provider");
    expect(body.error.message).toContain("demo, other");
    expect(await lastTrace()).toMatchObject({ status: 400, errorType: "unknown_provider", tenant: "acme" });
  });

  it("400 for malformed JSON", async () => {
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      body: '{"model": "demo-model", "messages": [',
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { type: "invalid_request_error", code: "invalid_json" },
    });
    expect(await lastTrace()).toMatchObject({ status: 400, errorType: "invalid_json" });
  });

  it("400 from the route schema for a missing model or messages", async () => {
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      json: { messages: [{ role: "user", content: "x" }] },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toContain("model");
    expect(await lastTrace()).toMatchObject({ status: 400, errorType: "invalid_request" });
    const res2 = await h.call("/v1/embeddings", { method: "POST", json: { model: "x" } });
    expect(res2.status).toBe(400);
  });

  it("413 for a body over the limit", async () => {
    const big = "x".repeat(4 * 1024 * 1024 + 10);
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat({ messages: [{ role: "user", content: big }] }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "request_too_large" } });
    expect(await lastTrace()).toMatchObject({ status: 413, errorType: "request_too_large" });
  });

  it("502 when the upstream is down", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const down = await harness({ PROVIDERS: `dead=http://127.0.0.1:${port}`, DEFAULT_PROVIDER: "dead" });
    try {
      const res = await down.call("/v1/chat/completions", { method: "POST", json: chat() });
      expect(res.status).toBe(502);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe("upstream_unavailable");
      expect(body.error.message).toContain("dead");
      expect((await down.traces(1))[0]).toMatchObject({
        status: 502,
        errorType: "upstream_unavailable",
        provider: "dead",
      });
    } finally {
      await down.close();
    }
  });

  it("504 when the upstream does not answer within TIMEOUT_MS", async () => {
    const slow = await harness({ TIMEOUT_MS: "300" });
    try {
      const res = await slow.call("/v1/chat/completions", {
        method: "POST",
        json: chat(),
        headers: { "x-demo-mode": "hang" },
      });
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ error: { type: "timeout_error", code: "upstream_timeout" } });
      expect((await slow.traces(1))[0]).toMatchObject({ status: 504, errorType: "upstream_timeout" });

      // A stream that goes silent for longer than TIMEOUT_MS after it started: the status is long sent,
      // so the client gets an SSE error event, and the trace says 504. (undici's timers resolve to about
      // a second, so the silence is made well longer than that.)
      const stalled = await slow.call("/v1/chat/completions", {
        method: "POST",
        json: chat({ stream: true }),
        headers: { "x-demo-chunk-delay-ms": "3000" },
      });
      expect(stalled.status).toBe(200);
      const { events } = await readSse(stalled);
      expect(events.at(-1).error).toMatchObject({ code: "upstream_timeout" });
      expect(events.at(-1).error.message).toMatch(/stalled mid-stream/);
      await expect
        .poll(async () => (await slow.traces(2))[0], { timeout: 5000 })
        .toMatchObject({ status: 504, errorType: "upstream_timeout", stream: true });
    } finally {
      await slow.close();
    }
  });

  it("502 when the upstream answers garbage", async () => {
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat(),
      headers: { "x-demo-mode": "garbage" },
    });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: { code: "upstream_bad_response" } });
    expect(await lastTrace()).toMatchObject({ status: 502, errorType: "upstream_bad_response" });
  });

  it("404 in OpenAI style for routes outside /v1 and the API", async () => {
    const res = await h.call("/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { type: "not_found_error" } });
  });
});

describe("streaming (SSE)", () => {
  it("passes chunks through as they arrive, without buffering", async () => {
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat({ stream: true }),
      headers: { "x-demo-chunk-delay-ms": "15" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    const { reads, events } = await readSse(res);
    // 12 words, each sent 15 ms apart upstream: they must reach the client as separate reads.
    expect(reads.length).toBeGreaterThanOrEqual(8);
    expect(events.at(-1)).toBe("[DONE]");
    const text = events
      .filter((e) => e !== "[DONE]")
      .map((e) => e.choices[0]?.delta?.content ?? "")
      .join("");
    expect(text.split(" ")).toHaveLength(12);
  });

  it("requests usage upstream but hides the usage chunk from a client that did not ask", async () => {
    const before = h.upstream.requests.length;
    const res = await h.call("/v1/chat/completions", { method: "POST", json: chat({ stream: true }) });
    const { events } = await readSse(res);
    expect((h.upstream.requests[before]!.body as any).stream_options).toEqual({ include_usage: true });
    expect(
      events.filter((e) => e !== "[DONE]" && Array.isArray(e.choices) && e.choices.length === 0),
    ).toHaveLength(0);
    expect(events.some((e) => e !== "[DONE]" && "usage" in e)).toBe(false);
    const t = await lastTrace();
    expect(t.stream).toBe(true);
    expect(t.usage.outputTokens).toBe(12);
    expect(t.usage.inputTokens).toBeGreaterThan(0);
    expect(t.ttftMs).not.toBeNull();
    expect(t.ttftMs!).toBeLessThanOrEqual(t.latencyMs);
  });

  it("forwards the usage chunk to a client that asked for it", async () => {
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat({ stream: true, stream_options: { include_usage: true } }),
    });
    const { events } = await readSse(res);
    const usage = events.find((e) => e !== "[DONE]" && e.usage);
    expect(usage.usage.completion_tokens).toBe(12);
    expect((await lastTrace()).usage.outputTokens).toBe(12);
  });

  it("aborts the upstream call when the client disconnects mid-stream and records client_aborted", async () => {
    const abortedBefore = h.upstream.aborted();
    const ac = new AbortController();
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat({ stream: true }),
      headers: { "x-demo-chunk-delay-ms": "100" },
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    await expect.poll(() => h.upstream.aborted(), { timeout: 5000 }).toBe(abortedBefore + 1);
    await expect.poll(async () => (await lastTrace()).errorType, { timeout: 5000 }).toBe("client_aborted");
    expect(await lastTrace()).toMatchObject({ status: 499, stream: true });
  });

  it("aborts the upstream call when the client gives up before a non-streaming answer", async () => {
    const abortedBefore = h.upstream.aborted();
    const ac = new AbortController();
    const pending = h
      .call("/v1/chat/completions", {
        method: "POST",
        json: chat(),
        headers: { "x-demo-latency-ms": "400" },
        signal: ac.signal,
      })
      .catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    await expect.poll(() => h.upstream.aborted(), { timeout: 5000 }).toBe(abortedBefore + 1);
    await expect.poll(async () => (await lastTrace()).errorType, { timeout: 5000 }).toBe("client_aborted");
    expect(await lastTrace()).toMatchObject({ status: 499, stream: false });
  });

  it("ends the stream with an error event when the upstream breaks off mid-stream", async () => {
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat({ stream: true }),
      headers: { "x-demo-mode": "drop-mid-stream", "x-demo-chunk-delay-ms": "5" },
    });
    expect(res.status).toBe(200);
    const { events } = await readSse(res);
    expect(events.at(-1).error.code).toBe("upstream_stream_error");
    expect(await lastTrace()).toMatchObject({
      status: 502,
      errorType: "upstream_stream_error",
      stream: true,
    });
  });

  it("pauses the upstream while a slow client cannot take more (backpressure, no buffering in the proxy)", async () => {
    // An upstream that streams 64 MB of events as fast as the proxy accepts them.
    const event = `data: ${JSON.stringify({ choices: [{ delta: { content: "x".repeat(1000) } }] })}\n\n`;
    const events = Math.ceil((64 << 20) / event.length);
    let sent = 0;
    const big = createHttpServer(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; i < events; i++) {
        sent += event.length;
        if (!res.write(event)) await new Promise((r) => res.once("drain", r));
      }
      res.end('data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":7}}\n\ndata: [DONE]\n\n');
    });
    await new Promise<void>((r) => big.listen(0, "127.0.0.1", r));
    const bh = await harness({
      PROVIDERS: `big=http://127.0.0.1:${(big.address() as { port: number }).port}`,
      DEFAULT_PROVIDER: "big",
    });
    try {
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const body = JSON.stringify(chat({ stream: true }));
        const req = httpRequest(`${bh.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${TENANT_KEY}`, "content-type": "application/json" },
        });
        req.on("response", resolve).on("error", reject).end(body);
      });
      res.pause(); // the client stops reading
      await new Promise((r) => setTimeout(r, 700));
      const stalledAt = sent;
      await new Promise((r) => setTimeout(r, 300));
      expect(sent).toBe(stalledAt); // the upstream is held back ...
      expect(stalledAt).toBeLessThan(events * event.length); // ... long before it has sent everything
      let received = 0;
      let tail = "";
      res.setEncoding("utf8");
      for await (const chunk of res) {
        received += chunk.length;
        tail = (tail + chunk).slice(-200);
      }
      expect(received).toBe(events * event.length + "data: [DONE]\n\n".length);
      expect(tail.endsWith("data: [DONE]\n\n")).toBe(true);
      const [trace] = await bh.traces(1);
      expect(trace).toMatchObject({ status: 200, stream: true, usage: { inputTokens: 3, outputTokens: 7 } });
    } finally {
      await bh.close();
      big.close();
    }
  });

  it("passes a non-SSE upstream error for a streaming request through as JSON", async () => {
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat({ stream: true }),
      headers: { "x-demo-mode": "error500" },
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as any).error.message).toBe("upstream exploded");
  });
});

describe("service contract", () => {
  it("serves /health, /ready and Prometheus /metrics without auth", async () => {
    expect((await h.call("/health", { key: null })).status).toBe(200);
    const ready = await h.call("/ready", { key: null });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready" });
    const m = await (await h.call("/metrics", { key: null })).text();
    for (const name of [
      "trace_proxy_requests_total",
      "trace_proxy_errors_total",
      "gen_ai_client_operation_duration_seconds_bucket",
      "gen_ai_server_time_to_first_token_seconds_bucket",
      "gen_ai_client_token_usage_total",
      "trace_proxy_in_flight_requests",
      "process_resident_memory_bytes",
    ]) {
      expect(m).toContain(name);
    }
    expect(m).toMatch(/gen_ai_client_token_usage_total\{[^}]*type="cached_input"/);
    expect(m).toMatch(
      /trace_proxy_errors_total\{[^}]*type="upstream_timeout"|trace_proxy_errors_total\{[^}]*type="invalid_json"/,
    );
    expect(m).toMatch(/trace_proxy_in_flight_requests\{[^}]*\} 0/);
  });

  it("lets an admin (service) key act for a tenant via x-llm-tenant, but not a tenant key", async () => {
    await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat(),
      key: ADMIN_KEY,
      headers: { "x-llm-tenant": "initech" },
    });
    expect((await lastTrace()).tenant).toBe("initech");
    await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat(),
      key: OTHER_KEY,
      headers: { "x-llm-tenant": "initech" },
    });
    expect((await lastTrace()).tenant).toBe("globex");
  });
});
