/**
 * The router as an OpenAI SDK user meets it: the official `openai` client against the router, which
 * goes through the real trace proxy to two demo upstreams that can be told to fail. Every call is
 * traced once; strategies pick as declared; failures fail over before the first byte and never after.
 */
import { loadServiceConfig, type TraceEvent } from "@llmops/shared";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DemoUpstream } from "../../demo-upstream/src/index.ts";
import router from "../src/service.ts";
import { type RouterService, startHarness, TENANT_KEY } from "./harness.ts";

const CATALOGUE = `
strategy: balanced
models:
  - name: chat
    deployments:
      - { provider: primary, model: model-a, weight: 3 }
      - { provider: secondary, model: model-b, weight: 1 }
      - { provider: standby, model: model-c, weight: 0 }
    fallbacks: [backup]
  - name: ordered
    strategy: fallback
    deployments:
      - { provider: secondary, model: model-b, priority: 2 }
      - { provider: primary, model: model-a, priority: 1 }
  - name: backup
    deployments:
      - { provider: standby, model: model-c }
aliases:
  chat-latest: chat
`;

let h: Awaited<ReturnType<typeof startHarness<"primary" | "secondary" | "standby">>>;
let upstreams: typeof h.upstreams;
let traces: TraceEvent[];
let routerSvc: RouterService;
let client: OpenAI;
const routerEnv = (catalogue: string) => h.routerEnv(catalogue);

beforeAll(async () => {
  h = await startHarness({
    // Its streams pace their chunks, so a stream can break after bytes have gone out.
    primary: { chunkDelayMs: 2 },
    secondary: {},
    standby: {},
  });
  ({ upstreams, traces } = h);
  routerSvc = await h.startRouter(CATALOGUE);
  client = h.client(routerSvc);
});
afterAll(() => h?.close());

/** Healthy upstreams and a router that has seen nothing yet (breakers closed, no EWMAs). */
const healthy = async () => {
  h.heal();
  routerSvc = await h.startRouter(CATALOGUE);
  client = h.client(routerSvc);
};
const deployment = (group: string, provider: string) =>
  routerSvc.api.catalogue.resolve(group)!.deployments.find((d) => d.provider === provider)!;
const breakerOf = (group: string, provider: string) =>
  routerSvc.api.balancer.of(deployment(group, provider)).breaker;
const seenBy = (u: DemoUpstream) => u.requests.length;

describe("the OpenAI SDK against the router", () => {
  it("answers a chat completion through the trace proxy, traced once for the caller's tenant", async () => {
    const before = traces.length;
    const { data, response } = await client.chat.completions
      .create({ model: "chat", messages: [{ role: "user", content: "hello" }] })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]!.message.content).toMatch(/\w+/);
    const provider = response.headers.get("x-llm-provider");
    expect(["primary", "secondary"]).toContain(provider);
    expect(response.headers.get("x-router-attempts")).toBe("1");
    await expect.poll(() => traces.length).toBe(before + 1);
    expect(traces.at(-1)).toMatchObject({ tenant: "acme", provider, status: 200 });
    // The upstream was asked for the deployment's model id, never the public group name.
    expect(traces.at(-1)!.model).toBe(provider === "primary" ? "model-a" : "model-b");
  });

  it("streams a completion chunk by chunk (SSE), traced once", async () => {
    const before = traces.length;
    const stream = await client.chat.completions.create({
      model: "chat-latest",
      messages: [{ role: "user", content: "stream please" }],
      stream: true,
    });
    let text = "";
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? "";
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text.trim().split(/\s+/).length).toBeGreaterThan(3);
    await expect.poll(() => traces.length).toBe(before + 1);
    expect(traces.at(-1)).toMatchObject({ tenant: "acme", stream: true, status: 200 });
  });

  it("lists exactly the catalogue's model groups", async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    expect(models).toEqual(["chat", "ordered", "backup"]);
  });

  it("bad input is an OpenAI-style error the SDK understands", async () => {
    await expect(
      client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
    });
    await expect(client.chat.completions.create({ model: "chat", messages: [] })).rejects.toMatchObject({
      status: 400,
    });
    const stranger = new OpenAI({ baseURL: `${routerSvc.url}/v1`, apiKey: "sk-unknown", maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    const malformed = await fetch(`${routerSvc.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TENANT_KEY}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).error.code).toBe("invalid_json");
  });
});

describe("strategies", () => {
  it("balanced: traffic follows the weights (3:1) and a weight-0 deployment gets none while others are healthy", async () => {
    await healthy();
    const before = {
      p: seenBy(upstreams.primary),
      s: seenBy(upstreams.secondary),
      z: seenBy(upstreams.standby),
    };
    const n = 200;
    await Promise.all(
      Array.from({ length: n }, () =>
        client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] }),
      ),
    );
    const primary = seenBy(upstreams.primary) - before.p;
    const secondary = seenBy(upstreams.secondary) - before.s;
    expect(primary + secondary).toBe(n);
    expect(seenBy(upstreams.standby) - before.z).toBe(0);
    // Expected share 0.75; a binomial with n=200 stays within ±0.1 with overwhelming probability.
    expect(primary / n).toBeGreaterThan(0.65);
    expect(primary / n).toBeLessThan(0.85);
  });

  it("fallback: the lowest priority first, always", async () => {
    await healthy();
    const before = seenBy(upstreams.primary);
    for (let i = 0; i < 5; i++) {
      const { response } = await client.chat.completions
        .create({ model: "ordered", messages: [{ role: "user", content: "hi" }] })
        .withResponse();
      expect(response.headers.get("x-llm-provider")).toBe("primary");
    }
    expect(seenBy(upstreams.primary) - before).toBe(5);
  });
});

describe("failover", () => {
  it("a failing deployment (5xx) is retried once with backoff, then fails over to the next", async () => {
    await healthy();
    upstreams.primary.setMode("error500");
    const before = seenBy(upstreams.primary);
    const { response } = await client.chat.completions
      .create({ model: "ordered", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(response.headers.get("x-llm-provider")).toBe("secondary");
    expect(response.headers.get("x-router-attempts")).toBe("3");
    expect(seenBy(upstreams.primary) - before).toBe(2);
    // One call's failures stay under the breaker's minimum-requests floor: still closed.
    expect(breakerOf("ordered", "primary").state).toBe("closed");
  });

  it("the breaker opens on the failure rate over its window, is shown so, and is skipped while open", async () => {
    await healthy();
    upstreams.primary.setMode("error500");
    // Two calls, two attempts each at primary: 4 requests, 4 failures, the floor (4) reached.
    for (let i = 0; i < 2; i++)
      await client.chat.completions.create({ model: "ordered", messages: [{ role: "user", content: "hi" }] });
    expect(breakerOf("ordered", "primary").state).toBe("open");
    const providers = (await (
      await fetch(`${routerSvc.url}/api/v1/providers`, { headers: { authorization: `Bearer ${TENANT_KEY}` } })
    ).json()) as any;
    const primary = providers.data.find((p: any) => p.model === "ordered" && p.provider === "primary");
    expect(primary).toMatchObject({
      state: "cooldown",
      breaker: "open",
      effectiveWeight: 0,
      reason: "status 500",
      errorRate: 1,
    });
    expect(Date.parse(primary.until)).toBeGreaterThan(Date.now());
    const before = seenBy(upstreams.primary);
    const { response } = await client.chat.completions
      .create({ model: "ordered", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(response.headers.get("x-router-attempts")).toBe("1");
    expect(seenBy(upstreams.primary)).toBe(before);
  });

  it("429 honours Retry-After as the cooldown; when every deployment of a group fails, its fallback group answers", async () => {
    await healthy();
    upstreams.primary.setMode("error429");
    upstreams.secondary.setMode("error500");
    const { response } = await client.chat.completions
      .create({ model: "chat", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    // primary and secondary failed; standby (weight 0 in chat) is the group's last resort, then backup's.
    expect(response.headers.get("x-llm-provider")).toBe("standby");
    // A deployment that asks for a pause is open at once, for as long as it asked.
    const primary = breakerOf("chat", "primary");
    expect(primary.state).toBe("open");
    expect(primary.until - Date.now()).toBeLessThanOrEqual(2000);
    expect(primary.until - Date.now()).toBeGreaterThan(500);
  });

  it("a client error (4xx other than 429) is passed through and never retried", async () => {
    await healthy();
    upstreams.primary.setMode("error400");
    const before = seenBy(upstreams.secondary);
    await expect(
      client.chat.completions.create({ model: "ordered", messages: [{ role: "user", content: "hi" }] }),
    ).rejects.toMatchObject({ status: 400 });
    expect(seenBy(upstreams.secondary)).toBe(before);
    expect(breakerOf("ordered", "primary").window()).toEqual({ requests: 0, failures: 0 });
  });

  it("a stream that breaks after its first bytes ends with an error event, never a clean end or a retry", async () => {
    await healthy();
    upstreams.primary.setMode("drop-mid-stream");
    const before = seenBy(upstreams.secondary);
    const res = await fetch(`${routerSvc.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TENANT_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "ordered", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"error"');
    expect(text).not.toContain("data: [DONE]");
    expect(seenBy(upstreams.secondary)).toBe(before);
  });

  it("a caller that goes away mid-stream releases its deployment and the proxy records client_aborted", async () => {
    await healthy();
    const abort = new AbortController();
    const res = await fetch(`${routerSvc.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TENANT_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "ordered", messages: [{ role: "user", content: "hi" }], stream: true }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    const primary = deployment("ordered", "primary");
    await expect.poll(() => routerSvc.api.balancer.of(primary).inFlight).toBe(0);
    await expect.poll(() => traces.at(-1)?.errorType).toBe("client_aborted");
    expect(breakerOf("ordered", "primary").window().failures).toBe(0);
  });

  it("a tenant over budget gets the proxy's 429 budget_exceeded as is, with no retry", async () => {
    await healthy();
    const before = seenBy(upstreams.secondary) + seenBy(upstreams.primary) + seenBy(upstreams.standby);
    await h.bus.publish("llm.budgets", "acme", {
      v: 1,
      tenant: "acme",
      period: "day",
      limitUsd: 1,
      spentUsd: 2,
      threshold: 1,
      at: new Date().toISOString(),
    });
    await expect
      .poll(async () => {
        const r = await fetch(`${routerSvc.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${TENANT_KEY}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }] }),
        });
        return [r.status, r.headers.get("x-router-attempts"), ((await r.json()) as any).error?.code];
      })
      .toEqual([429, "1", "budget_exceeded"]);
    expect(seenBy(upstreams.secondary) + seenBy(upstreams.primary) + seenBy(upstreams.standby)).toBe(before);
    // Lift the cap for the tests that follow.
    await h.bus.publish("llm.budgets", "acme", {
      v: 1,
      tenant: "acme",
      period: "day",
      limitUsd: 100,
      spentUsd: 2,
      threshold: 0.02,
      at: new Date(Date.now() + 1000).toISOString(),
    });
  });
});

describe("the catalogue at start", () => {
  it("names every problem by file, group and field; the router does not start", () => {
    const bad = `
models:
  - name: chat
    deployments:
      - { provider: primary, model: model-a, weight: -1 }
      - { provider: primary, model: model-b, wieght: 2 }
    fallbacks: [missing]
  - name: empty
    deployments: []
aliases: { latest: nowhere }
`;
    const env = routerEnv(bad);
    let message = "";
    try {
      loadServiceConfig(router, env);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`${env.ROUTER_PROVIDERS_FILE}: group "chat" deployment 1 (primary): weight`);
    expect(message).toContain('group "chat" deployment 2 (primary)');
    expect(message).toContain('group "empty": deployments: a group needs at least one deployment');
  });

  it("cross-references: fallbacks and aliases must name groups", () => {
    const env = routerEnv(`
models:
  - name: chat
    deployments: [{ provider: primary, model: model-a }]
    fallbacks: [missing]
aliases: { latest: nowhere }
`);
    expect(() => loadServiceConfig(router, env)).toThrow(
      /fallbacks: no group "missing"[\s\S]*aliases.latest: no group "nowhere"/,
    );
  });

  it("an unreadable or non-YAML file is one clear problem", () => {
    expect(() =>
      loadServiceConfig(router, { ...routerEnv("x"), ROUTER_PROVIDERS_FILE: "/nonexistent.yaml" }),
    ).toThrow(/ROUTER_PROVIDERS_FILE: \/nonexistent.yaml: cannot read \(no such file\)/);
    expect(() => loadServiceConfig(router, routerEnv("models: [\n"))).toThrow(
      /ROUTER_PROVIDERS_FILE: .*: not valid YAML/,
    );
  });
});
