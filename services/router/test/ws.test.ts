/** WebSocket streaming at /ws: auth at the upgrade, chunks then done, errors, limits, heartbeats. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type RouterService, startHarness, TENANT_KEY } from "./harness.ts";

const CATALOGUE = `
models:
  - name: chat
    deployments: [{ provider: main, model: model-a }]
`;

let h: Awaited<ReturnType<typeof startHarness<"main">>>;
let svc: RouterService;
beforeAll(async () => {
  h = await startHarness({ main: { chunkDelayMs: 1 } });
  svc = await h.startRouter(CATALOGUE, { WS_MAX_IN_FLIGHT: "1" });
});
afterAll(() => h?.close());

function connect(target: RouterService, key = TENANT_KEY): Promise<WebSocket> {
  const ws = new WebSocket(`${target.url.replace("http", "ws")}/ws`, {
    headers: { authorization: `Bearer ${key}` },
  });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) =>
      reject(Object.assign(new Error("refused"), { status: res.statusCode })),
    );
    ws.once("error", reject);
  });
}

/** Sends one request and collects messages until done or error. */
function exchange(ws: WebSocket, request: unknown): Promise<any[]> {
  const id = typeof request === "object" ? (request as { request_id?: string }).request_id : undefined;
  return new Promise((resolve) => {
    const got: any[] = [];
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString());
      // Another request's done or error on the same socket is not this one's.
      if (msg.type && id && msg.request_id !== id) return;
      got.push(msg);
      if (msg.type === "done" || msg.type === "error") {
        ws.off("message", onMessage);
        resolve(got);
      }
    };
    ws.on("message", onMessage);
    ws.send(typeof request === "string" ? request : JSON.stringify(request));
  });
}

describe("WebSocket /ws", () => {
  it("streams one chat.completion.chunk per message, then done; traced once like any call", async () => {
    const ws = await connect(svc);
    const before = h.traces.length;
    const got = await exchange(ws, {
      model: "chat",
      messages: [{ role: "user", content: "hello" }],
      request_id: "r1",
    });
    const chunks = got.slice(0, -1);
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.object).toBe("chat.completion.chunk");
    expect(got.at(-1)).toEqual({ type: "done", request_id: "r1" });
    await expect.poll(() => h.traces.length).toBe(before + 1);
    expect(h.traces.at(-1)).toMatchObject({ tenant: "acme", stream: true, status: 200 });
    // request_id is the client's, never sent upstream.
    expect((h.upstreams.main.requests.at(-1)!.body as any).request_id).toBeUndefined();
    ws.close();
  });

  it("bad messages are one error message each, and the socket stays usable", async () => {
    const ws = await connect(svc);
    expect((await exchange(ws, "{nope"))[0]).toMatchObject({
      type: "error",
      error: { code: "invalid_json" },
    });
    expect((await exchange(ws, { model: "chat" }))[0]).toMatchObject({
      type: "error",
      error: { code: "invalid_request" },
    });
    expect(
      (await exchange(ws, { model: "nope", messages: [{ role: "user", content: "x" }] }))[0],
    ).toMatchObject({
      type: "error",
      error: { code: "model_not_found" },
    });
    expect(
      (await exchange(ws, { model: "chat", messages: [{ role: "user", content: "x" }] })).at(-1).type,
    ).toBe("done");
    ws.close();
  });

  it("an upstream failure is one error message", async () => {
    const ws = await connect(svc);
    h.upstreams.main.setMode("error400");
    const got = await exchange(ws, { model: "chat", messages: [{ role: "user", content: "x" }] });
    h.heal();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: "error", error: { code: "bad_request" } });
    ws.close();
  });

  it("an unknown key never gets a socket (401 at the upgrade)", async () => {
    await expect(connect(svc, "sk-nobody")).rejects.toMatchObject({ status: 401 });
  });

  it("WS_MAX_CONNECTIONS: the next upgrade is refused with 503 until one closes", async () => {
    const two = await h.startRouter(CATALOGUE, { WS_MAX_CONNECTIONS: "2" });
    const a = await connect(two);
    const b = await connect(two);
    await expect(connect(two)).rejects.toMatchObject({ status: 503 });
    a.close();
    await expect
      .poll(
        async () =>
          await connect(two)
            .then((c) => (c.close(), true))
            .catch(() => false),
      )
      .toBe(true);
    b.close();
  });

  it("WS_MAX_IN_FLIGHT: a request beyond the per-socket limit is refused while the first streams", async () => {
    const ws = await connect(svc);
    const first = exchange(ws, {
      model: "chat",
      messages: [{ role: "user", content: "long one" }],
      request_id: "a",
    });
    const second = await new Promise<any>((resolve) => {
      const onMessage = (data: WebSocket.RawData) => {
        const msg = JSON.parse(data.toString());
        if (msg.request_id === "b") {
          ws.off("message", onMessage);
          resolve(msg);
        }
      };
      ws.on("message", onMessage);
      ws.send(JSON.stringify({ model: "chat", messages: [{ role: "user", content: "x" }], request_id: "b" }));
    });
    expect(second).toMatchObject({ type: "error", request_id: "b", error: { code: "too_many_in_flight" } });
    expect((await first).at(-1)).toEqual({ type: "done", request_id: "a" });
    ws.close();
  });

  it("answers pings and closes an idle socket after WS_IDLE_TIMEOUT_MS", async () => {
    const idle = await h.startRouter(CATALOGUE, { WS_IDLE_TIMEOUT_MS: "300", WS_PING_INTERVAL_MS: "100" });
    const ws = await connect(idle);
    let pings = 0;
    ws.on("ping", () => pings++);
    const code = await new Promise<number>((resolve) => ws.once("close", (c) => resolve(c)));
    expect(code).toBe(1000);
    expect(pings).toBeGreaterThan(0);
  });

  it("a socket that stops answering pings is terminated", async () => {
    const strict = await h.startRouter(CATALOGUE, { WS_PING_INTERVAL_MS: "100" });
    const ws = await connect(strict);
    // Stop the automatic pong: a peer that is gone.
    (ws as any)._receiver.removeAllListeners("ping");
    (ws as any).pong = () => {};
    const closed = await new Promise<number>((resolve) => ws.once("close", (c) => resolve(c)));
    expect(closed).toBe(1006);
  });
});
