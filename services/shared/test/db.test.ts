import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { busMigrations } from "../src/bus/migrations.ts";
import { Deduper, migrate, openDatabase } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "shared-db-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("embedded Postgres (PGlite over pglite-socket, real pg driver)", () => {
  it("runs migrations once, persists across reopen, supports transactions and concurrent queries", async () => {
    const migrations = [
      { id: "001_items", sql: "create table items (id serial primary key, name text not null unique)" },
      { id: "002_price", sql: "alter table items add column price numeric not null default 0" },
    ];
    const db = await openDatabase({ dataDir: join(dir, "a") });
    expect(db.kind).toBe("pglite");
    expect(await migrate(db, "test", migrations)).toEqual(["001_items", "002_price"]);
    expect(await migrate(db, "test", migrations)).toEqual([]);
    await db.query("insert into items (name, price) values ($1, $2)", ["a", 1.5]);
    await expect(
      db.tx(async (c) => {
        await c.query("insert into items (name) values ('b')");
        await c.query("insert into items (name) values ('a')"); // unique violation: whole tx rolls back
      }),
    ).rejects.toThrow(/duplicate/);
    const counts = await Promise.all(
      Array.from({ length: 8 }, () => db.query("select count(*)::int as n from items")),
    );
    expect(counts.map((r) => r.rows[0].n)).toEqual(Array(8).fill(1));
    expect(await db.healthy()).toBe(true);
    await db.close();
    expect(await db.healthy()).toBe(false);

    const again = await openDatabase({ dataDir: join(dir, "a") });
    expect((await again.query("select name, price from items")).rows).toEqual([{ name: "a", price: "1.5" }]);
    expect(
      await migrate(again, "test", [...migrations, { id: "003_idx", sql: "create index on items (price)" }]),
    ).toEqual(["003_idx"]);
    await again.close();
  });

  it("serves many concurrent parameterised queries and transactions, each with its own answer", async () => {
    // Parse/Bind/Execute of one caller must never meet another caller's statement (pglite-socket
    // serialises protocol messages, not statements, across connections: electric-sql/pglite#1046).
    const db = await openDatabase({ dataDir: "memory" });
    await db.query("create table t (k int primary key, v text not null)");
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        i % 4 === 0
          ? db.tx(async (c) => {
              await c.query("insert into t (k, v) values ($1, $2)", [i, `v${i}`]);
              return (await c.query("select v from t where k = $1", [i])).rows[0].v;
            })
          : i % 2
            ? db.query("select $1::int + 1 as x", [i]).then((r) => r.rows[0].x)
            : db.query("select $1::text || $2::text as x", ["s", String(i)]).then((r) => r.rows[0].x),
      ),
    );
    expect(answers).toEqual(
      Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? `v${i}` : i % 2 ? i + 1 : `s${i}`)),
    );
    await db.close();
  });

  it("reports a failing migration by name and leaves nothing half-applied", async () => {
    const db = await openDatabase({ dataDir: "memory" });
    await expect(
      migrate(db, "bad", [{ id: "001", sql: "create table ok (x int); create tabel broken" }]),
    ).rejects.toThrow(/bad\/001/);
    expect((await db.query("select to_regclass('ok') as t")).rows[0].t).toBeNull();
    await db.close();
  });

  it("Deduper with a database remembers processed event ids across instances", async () => {
    const db = await openDatabase({ dataDir: "memory" });
    await migrate(db, "bus", busMigrations);
    const seen: string[] = [];
    const d1 = new Deduper("cost-api", db);
    expect(await d1.process("e1", () => void seen.push("e1"))).toBe(true);
    expect(await d1.process("e1", () => void seen.push("e1"))).toBe(false);
    const d2 = new Deduper("cost-api", db); // e.g. after a restart
    expect(await d2.process("e1", () => void seen.push("e1"))).toBe(false);
    const other = new Deduper("sentinel", db); // another consumer processes independently
    expect(await other.process("e1", () => void seen.push("e1-sentinel"))).toBe(true);
    // a failing handler is not marked processed (it will be redelivered)
    await expect(d1.process("e2", () => Promise.reject(new Error("x")))).rejects.toThrow();
    expect(await d1.process("e2", () => void seen.push("e2"))).toBe(true);
    expect(seen).toEqual(["e1", "e1-sentinel", "e2"]);
    await db.close();
  });
});
