import { spawn, spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
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
    expect(h.proxy.api.store.kind).toBe("postgres");
    const res = await h.call("/v1/chat/completions", { method: "POST", json: chat() });
    const id = res.headers.get("x-trace-id")!;
    await res.text();
    await h.proxy.api.store.flush();
    const rows = await db.query<{ id: string; tenant: string; event: TraceEvent }>(
      "select id, tenant, event from traces",
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]).toMatchObject({ id, tenant: "acme" });
    expect(rows.rows[0]!.event.usage.outputTokens).toBe(12);
    const migrations = await db.query<{ namespace: string; id: string }>(
      "select namespace, id from schema_migrations order by 1, 2",
    );
    expect(migrations.rows).toEqual([
      { namespace: "bus", id: "001_outbox" },
      { namespace: "bus", id: "002_dead_letters" },
      { namespace: "trace-proxy", id: "001_traces" },
    ]);
    const api = await fetch(`${h.url}/api/v1/traces/${id}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(api.status).toBe(200);
  });

  it("the migrate entry (the init container) migrates DATABASE_URL idempotently and exits 0", async () => {
    const fresh = await PGlite.create();
    const srv = new PGLiteSocketServer({ db: fresh, host: "127.0.0.1", port: 0, maxConnections: 4 });
    await srv.start();
    try {
      const script = resolve(dirname(fileURLToPath(import.meta.url)), "../../run.ts");
      const env = {
        ...process.env,
        DATABASE_URL: `postgres://postgres:postgres@${srv.getServerConn()}/postgres`,
        UPSTREAM_URL: "http://127.0.0.1:9",
        STORAGE_PROFILE: "production",
        LOG_LEVEL: "warn",
      };
      // pglite-socket answers one client at a time, and this process holds the server: run the child async.
      const run = () =>
        new Promise<number | null>((res) => {
          const c = spawn(process.execPath, ["--import", "tsx", script, "trace-proxy", "migrate"], {
            env,
            stdio: "ignore",
          });
          c.once("exit", (code) => res(code));
        });
      expect(await run()).toBe(0);
      expect(await run()).toBe(0);
      const tables = await fresh.query<{ t: string }>(
        "select table_name as t from information_schema.tables where table_schema = 'public' order by 1",
      );
      expect(tables.rows.map((r) => r.t)).toEqual([
        "bus_dead_letters",
        "bus_outbox",
        "bus_processed",
        "schema_migrations",
        "traces",
      ]);
      const bad = spawnSync(process.execPath, ["--import", "tsx", script, "trace-proxy", "migrate"], {
        env: { ...process.env, UPSTREAM_URL: "", PROVIDERS: "" },
        encoding: "utf8",
      });
      expect(bad.status).toBe(2);
    } finally {
      await srv.stop();
      await fresh.close();
    }
  });
});
