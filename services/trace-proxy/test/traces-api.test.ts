import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TraceEvent } from "@llmops/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, chat, type Harness, harness, OTHER_KEY, TENANT_KEY } from "./helpers.ts";

const dataDir = mkdtempSync(join(tmpdir(), "trace-proxy-lite-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// The same behaviour spec against both trace stores: in-memory and PGlite (the pg driver over pglite-socket,
// i.e. the code path production uses against a real Postgres).
for (const profile of ["memory", "lite"] as const) {
  describe(`GET /api/v1/traces (STORAGE_PROFILE=${profile})`, () => {
    let h: Harness;
    const get = async (query: string, key = ADMIN_KEY) => {
      await h.proxy.api.store.flush();
      const res = await fetch(`${h.url}/api/v1/traces${query}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    beforeAll(async () => {
      h = await harness({ STORAGE_PROFILE: profile, DATA_DIR: join(dataDir, profile) });
      // 5 acme calls (2 of them via "other", 1 streaming), 3 globex calls, 1 failed acme call.
      for (let i = 0; i < 3; i++)
        await (await h.call("/v1/chat/completions", { method: "POST", json: chat() })).text();
      for (let i = 0; i < 2; i++) {
        await (
          await h.call("/v1/chat/completions", {
            method: "POST",
            json: chat({ model: "demo-large" }),
            provider: "other",
          })
        ).text();
      }
      await (await h.call("/v1/chat/completions", { method: "POST", json: chat({ stream: true }) })).text();
      for (let i = 0; i < 3; i++) {
        await (await h.call("/v1/chat/completions", { method: "POST", json: chat(), key: OTHER_KEY })).text();
      }
      await (
        await h.call("/v1/chat/completions", {
          method: "POST",
          json: chat(),
          headers: { "x-demo-mode": "error500" },
        })
      ).text();
      await h.traces(10);
    });
    afterAll(async () => {
      await h?.close();
    });

    it("uses the configured store", () => {
      expect(h.proxy.api.store.kind).toBe(profile === "memory" ? "memory" : "pglite");
    });

    it("lists newest first for an admin, across tenants", async () => {
      const { status, body } = await get("?limit=100");
      expect(status).toBe(200);
      expect(body.data).toHaveLength(10);
      const started = body.data.map((t: TraceEvent) => t.startedAt);
      expect([...started].sort().reverse()).toEqual(started);
      expect(new Set(body.data.map((t: TraceEvent) => t.tenant))).toEqual(new Set(["acme", "globex"]));
    });

    it("filters by tenant, provider, model, status, errorType and stream", async () => {
      expect((await get("?tenant=globex")).body.data).toHaveLength(3);
      expect((await get("?provider=other")).body.data).toHaveLength(2);
      expect((await get("?model=demo-large")).body.data).toHaveLength(2);
      expect((await get("?status=500")).body.data).toHaveLength(1);
      expect((await get("?errorType=upstream_error")).body.data).toHaveLength(1);
      const streams = (await get("?stream=true")).body.data;
      expect(streams).toHaveLength(1);
      expect(streams[0].stream).toBe(true);
      expect((await get("?tenant=acme&provider=demo&status=200")).body.data).toHaveLength(4);
    });

    it("filters by time window", async () => {
      const all = (await get("?limit=100")).body.data as TraceEvent[];
      const oldest = all.at(-1)!.startedAt;
      const newest = all[0]!.startedAt;
      expect((await get(`?from=${encodeURIComponent(newest)}`)).body.data.length).toBeGreaterThanOrEqual(1);
      expect((await get(`?to=${encodeURIComponent(oldest)}`)).body.data).toHaveLength(0);
      expect((await get(`?from=${encodeURIComponent(oldest)}&limit=100`)).body.data).toHaveLength(10);
    });

    it("paginates with a cursor without gaps or duplicates", async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const { body }: { body: any } = await get(`?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...body.data.map((t: TraceEvent) => t.id));
        expect(body.hasMore).toBe(body.nextCursor !== null);
        cursor = body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(4);
      expect(seen).toHaveLength(10);
      expect(new Set(seen).size).toBe(10);
    });

    it("scopes a tenant key to its own tenant", async () => {
      const mine = await get("?limit=100", TENANT_KEY);
      expect(mine.status).toBe(200);
      expect(mine.body.data).toHaveLength(7);
      expect(mine.body.data.every((t: TraceEvent) => t.tenant === "acme")).toBe(true);
      const theirs = await get("?tenant=globex", TENANT_KEY);
      expect(theirs.status).toBe(403);
      expect(theirs.body.error.type).toBe("permission_error");
      // single trace: visible to its tenant and admins, 404 for another tenant
      const id = (await get("?tenant=globex")).body.data[0].id;
      expect(
        (await fetch(`${h.url}/api/v1/traces/${id}`, { headers: { authorization: `Bearer ${OTHER_KEY}` } }))
          .status,
      ).toBe(200);
      expect(
        (await fetch(`${h.url}/api/v1/traces/${id}`, { headers: { authorization: `Bearer ${TENANT_KEY}` } }))
          .status,
      ).toBe(404);
    });

    it("rejects bad queries and missing auth with OpenAI-style errors", async () => {
      expect((await get("?limit=0")).status).toBe(400);
      expect((await get("?limit=abc")).status).toBe(400);
      expect((await get("?bogus=1")).status).toBe(400);
      expect((await get("?from=yesterday")).status).toBe(400);
      expect((await get("?cursor=!!!")).status).toBe(400);
      const anon = await fetch(`${h.url}/api/v1/traces`);
      expect(anon.status).toBe(401);
      expect(await anon.json()).toMatchObject({ error: { type: "authentication_error" } });
    });
  });
}

describe("STORAGE_PROFILE=lite persistence", () => {
  it("keeps traces across a restart (same DATA_DIR)", async () => {
    const dir = join(dataDir, "restart");
    const first = await harness({ STORAGE_PROFILE: "lite", DATA_DIR: dir });
    const res = await first.call("/v1/chat/completions", { method: "POST", json: chat() });
    const id = res.headers.get("x-trace-id");
    await res.text();
    await first.traces(1);
    await first.close();
    const second = await harness({ STORAGE_PROFILE: "lite", DATA_DIR: dir });
    try {
      const r = await fetch(`${second.url}/api/v1/traces/${id}`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(r.status).toBe(200);
      expect(((await r.json()) as TraceEvent).tenant).toBe("acme");
    } finally {
      await second.close();
    }
  });
});
