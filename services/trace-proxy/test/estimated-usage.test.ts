/**
 * Every streamed call is billed: when the provider sends no usage (the stream broke off, the client left
 * part-way), the trace carries the prompt's tokens and the forwarded tokens, counted with the tokenizer,
 * marked usage.source "estimated". A stream that finished with the provider's usage keeps its figures.
 */
import { countTokens } from "gpt-tokenizer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chat, type Harness, harness, readSse } from "./helpers.ts";

const PROMPT = "Say something about observability.";

describe("usage of streams the provider did not report (source: estimated)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const forwardedContent = (events: any[]) =>
    events
      .filter((e) => e !== "[DONE]" && Array.isArray(e.choices))
      .map((e) => e.choices[0]?.delta?.content ?? "")
      .join("");

  it("a finished stream keeps the provider's usage (source: provider)", async () => {
    const res = await h.call("/v1/chat/completions", { method: "POST", json: chat({ stream: true }) });
    await readSse(res);
    const [t] = await h.traces(1, "&tenant=acme&stream=true");
    expect(t!.usage.source).toBe("provider");
    expect(t!.usage.outputTokens).toBeGreaterThan(0);
  });

  it("a stream the upstream broke off is billed for the prompt and the tokens forwarded", async () => {
    const before = h.published.length;
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat({ stream: true }),
      headers: { "x-demo-mode": "drop-mid-stream", "x-demo-chunk-delay-ms": "10" },
    });
    const { events } = await readSse(res);
    const text = forwardedContent(events);
    expect(text.length).toBeGreaterThan(0);
    await expect.poll(() => h.published.length, { timeout: 15_000 }).toBeGreaterThan(before);
    const t = h.published.at(-1)!;
    expect(t.status).toBe(502);
    expect(t.usage).toEqual({
      inputTokens: countTokens(PROMPT),
      outputTokens: countTokens(text),
      cachedInputTokens: 0,
      source: "estimated",
    });
  });

  it("a stream the client cancelled part-way is billed for what it was sent", async () => {
    const before = h.published.length;
    const ac = new AbortController();
    const res = await h.call("/v1/chat/completions", {
      method: "POST",
      json: chat({ stream: true }),
      headers: { "x-demo-chunk-delay-ms": "40" },
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    let received = "";
    const dec = new TextDecoder();
    while (!received.includes('"content":"') || received.split('"content":"').length < 4) {
      const { value, done } = await reader.read();
      if (done) break;
      received += dec.decode(value, { stream: true });
    }
    ac.abort();
    await expect.poll(() => h.published.length, { timeout: 15_000 }).toBeGreaterThan(before);
    const t = h.published.at(-1)!;
    expect(t).toMatchObject({ status: 499, errorType: "client_aborted" });
    expect(t.usage.source).toBe("estimated");
    expect(t.usage.inputTokens).toBe(countTokens(PROMPT));
    // at least what the client read; at most one chunk more that was on its way when it left
    const read = received
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map((e) => JSON.parse(e.slice(6)).choices[0]?.delta?.content ?? "")
      .join("");
    expect(t.usage.outputTokens).toBeGreaterThanOrEqual(countTokens(read));
    expect(t.usage.outputTokens).toBeGreaterThan(0);
  });
});
