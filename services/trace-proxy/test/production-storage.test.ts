import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type { TraceEvent } from "@llmops/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, chat, type Harness, harness } from "./helpers.ts";

/**
 * STORAGE_PROFILE=production takes DATABASE_URL. Here the "external" Postgres is a PGlite served over
 * the wire protocol in this process; the proxy only sees a postgres:// URL, exactly as in production.
 */
describe("STORAGE_PROFILE=production (DATABASE_URL)", () => {
  let db: PGlite;
  let server: PGLiteSocketServer;
  let h: Harness;
  beforeAll(async () => {
    db = await PGlite.create();
    server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 16 });
    await server.start();
    h = await harness({
      STORAGE_PROFILE: "production",
      DATABASE_URL: `postgres://postgres:postgres@${server.getServerConn()}/postgres`,
    });
  });
  afterAll(async () => {
    await h?.close();
    await server?.stop();
    await db?.close();
  });

  it("migrates the external database and stores every trace there", async () => {
    expect(h.proxy.store.kind).toBe("postgres");
    const res = await h.call("/v1/chat/completions", { method: "POST", json: chat() });
    const id = res.headers.get("x-trace-id")!;
    await res.text();
    await h.proxy.store.flush();
    const rows = await db.query<{ id: string; tenant: string; event: TraceEvent }>(
      "select id, tenant, event from traces",
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]).toMatchObject({ id, tenant: "acme" });
    expect(rows.rows[0]!.event.usage.outputTokens).toBe(12);
    const migrations = await db.query<{ namespace: string; id: string }>(
      "select namespace, id from schema_migrations order by 1, 2",
    );
    expect(migrations.rows).toEqual([{ namespace: "trace-proxy", id: "001_traces" }]);
    const api = await fetch(`${h.url}/api/v1/traces/${id}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(api.status).toBe(200);
  });
});
