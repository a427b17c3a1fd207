import { afterAll, describe, expect, it } from "vitest";
import { type DemoUpstream, startDemoUpstream } from "../src/index.ts";

const post = (up: DemoUpstream, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${up.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const chat = (content: string, extra: Record<string, unknown> = {}) => ({
  model: "demo-model",
  messages: [{ role: "user", content }],
  ...extra,
});

describe("demo upstream", () => {
  const open: DemoUpstream[] = [];
  afterAll(async () => {
    await Promise.all(open.map((u) => u.close()));
  });
  const start = async (opts = {}) => {
    const up = await startDemoUpstream(opts);
    open.push(up);
    return up;
  };

  it("answers deterministically (same prompt, same text) with usage incl. cached tokens", async () => {
    const up = await start();
    const a = (await (await post(up, chat("hello there"))).json()) as any;
    const b = (await (await post(up, chat("hello there"))).json()) as any;
    const c = (await (await post(up, chat("something else entirely"))).json()) as any;
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
    expect(a.choices[0].message.content).not.toBe(c.choices[0].message.content);
    expect(a.usage).toMatchObject({
      completion_tokens: 12,
      prompt_tokens_details: { cached_tokens: expect.any(Number) },
    });
  });

  it("streams the same text as SSE chunks, with the usage chunk only when asked", async () => {
    const up = await start();
    const full = (await (await post(up, chat("stream me"))).json()) as any;
    for (const includeUsage of [false, true]) {
      const res = await post(
        up,
        chat("stream me", {
          stream: true,
          ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
        }),
      );
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      const events = (await res.text())
        .split("\n\n")
        .filter(Boolean)
        .map((e) => e.slice(6));
      expect(events.at(-1)).toBe("[DONE]");
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
      expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(
        full.choices[0].message.content,
      );
      expect(chunks.some((c) => c.usage)).toBe(includeUsage);
    }
  });

  it("injects failures at the configured error rate and delays by the configured latency", async () => {
    const up = await start({ errorRate: 0.25 });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await post(up, chat(`q${i}`))).status);
    expect(statuses.filter((s) => s === 503)).toHaveLength(2);
    const slow = await start({ latencyMs: 150 });
    const t0 = performance.now();
    await (await post(slow, chat("x"))).text();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("serves models and embeddings", async () => {
    const up = await start();
    expect(((await (await fetch(`${up.url}/v1/models`)).json()) as any).data.length).toBe(3);
    const emb = await fetch(`${up.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "demo-embed", input: "abc" }),
    });
    expect(((await emb.json()) as any).data[0].embedding).toHaveLength(8);
  });
});
