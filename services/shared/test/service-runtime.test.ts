/**
 * The service runtime as a specification: a definition and its contract are all a service needs. The
 * typed bus (validation, dedupe, dead letters) runs on both buses, the authenticate plugin sets the
 * caller over real HTTP, startService wires readiness and shuts down in order, and the entries turn a
 * config mistake into one line and exit 2.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKafka, type TestKafka } from "../../../test/setup/kafka.ts";
import {
  authenticate,
  createLogger,
  type Database,
  defineContract,
  defineService,
  type EventBus,
  envs,
  KafkaBus,
  MemoryBus,
  openDatabase,
  Periodic,
  principalOf,
  startService,
  TOPICS,
  type TraceEvent,
  TypedBus,
} from "../src/index.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const silent = createLogger("test", "silent");

const trace = (over: Partial<TraceEvent> = {}): TraceEvent => ({
  v: 1,
  id: randomUUID(),
  traceId: randomUUID().replaceAll("-", ""),
  tenant: "acme",
  provider: "demo",
  model: "demo-model",
  operation: "chat",
  stream: false,
  startedAt: new Date().toISOString(),
  latencyMs: 12.5,
  ttftMs: null,
  status: 200,
  errorType: null,
  usage: { inputTokens: 3, outputTokens: 5, cachedInputTokens: 0 },
  securityFlags: [],
  securityScore: 0,
  attributes: {},
  ...over,
});

async function until<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, what: string): Promise<T> {
  const end = Date.now() + 20_000;
  while (true) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function typedBusSpec(
  name: string,
  setup: () => Promise<{ raw: EventBus; sendRaw(text: string): Promise<void>; db?: Database }>,
) {
  describe(`typed bus on the ${name} bus`, () => {
    let env: Awaited<ReturnType<typeof setup>>;
    let bus: TypedBus;
    beforeAll(async () => {
      env = await setup();
      bus = new TypedBus({ bus: env.raw, logger: silent, db: env.db });
    });
    afterAll(async () => {
      await env?.raw.close();
      await env?.db?.close();
    });

    it("publish refuses an event its topic's schema rejects, naming the field", async () => {
      await expect(bus.publish(TOPICS.traces, { ...trace(), status: "ok" } as never)).rejects.toThrow(
        /invalid llm.traces event: status/,
      );
    });

    it("consume hands over each valid event once, however often it is delivered", async () => {
      const group = `g-${randomUUID()}`;
      const seen: string[] = [];
      const sub = await bus.consume(TOPICS.traces, { group }, (e) => void seen.push(e.id));
      const e = trace();
      await bus.publish(TOPICS.traces, e);
      await bus.publish(TOPICS.traces, e); // redelivery of the same event
      await bus.publish(TOPICS.traces, trace({ id: "second" }));
      await env.raw.flush();
      await until(
        () => seen,
        (s) => s.includes("second"),
        "both events",
      );
      expect(seen).toEqual([e.id, "second"]);
      await sub.close();
    });

    it("dead-letters invalid and undecodable events with the reason and goes on consuming", async () => {
      const group = `g-${randomUUID()}`;
      const seen: string[] = [];
      const sub = await bus.consume(TOPICS.traces, { group }, (e) => void seen.push(e.id));
      await env.raw.publish(TOPICS.traces, "acme", { v: 1, id: "broken" });
      await env.sendRaw("{not json");
      await bus.publish(TOPICS.traces, trace({ id: "after" }));
      await env.raw.flush();
      await until(
        () => seen,
        (s) => s.includes("after"),
        "the valid event after the bad ones",
      );
      const letters = await until(
        () => bus.deadLetters(group),
        (l) => l.length >= (name === "memory" ? 1 : 2),
        "dead letters",
      );
      const reasons = letters.map((l) => l.reason);
      expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^schema: /)]));
      if (name !== "memory")
        expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^malformed JSON/)]));
      expect(letters.find((l) => l.reason.startsWith("schema"))!.value).toContain('"broken"');
      await sub.close();
    });
  });
}

typedBusSpec("memory", async () => {
  const raw = new MemoryBus();
  return { raw, sendRaw: async () => {} };
});

describe("typed bus on Kafka with Postgres (dead letters in bus_dead_letters, dedupe across restarts)", () => {
  let kafka: TestKafka;
  beforeAll(async () => {
    kafka = await startKafka({ "llm.traces": 1 });
  });
  afterAll(async () => {
    await kafka?.stop();
  });
  typedBusSpec("kafka", async () => {
    const db = await openDatabase({ dataDir: "memory" });
    const raw = new KafkaBus({ brokers: kafka.brokers, clientId: "typed", db });
    await raw.start();
    const producer = new Kafka({
      clientId: "raw",
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    return {
      raw,
      db,
      sendRaw: async (text: string) => {
        await producer.send({ topic: TOPICS.traces, messages: [{ key: "acme", value: text }] });
      },
    };
  });
});

const contract = defineContract({
  name: "probe",
  description: "a service for the runtime spec",
  port: 0,
  env: { GREETING: envs.url().optional() },
  postgres: true,
  produces: [TOPICS.traces],
  consumes: [{ topic: TOPICS.budgets, group: "caps", perReplica: true }],
});

describe("defineContract", () => {
  it("refuses a contract whose calls, inputs or cluster settings name variables it does not have", () => {
    expect(() =>
      defineContract({
        name: "bad",
        description: "",
        port: 1,
        env: {},
        calls: { other: "NOPE" as never },
        cluster: { LOG_LEVEL: "loud" },
      }),
    ).toThrow(/calls.other: NOPE is not in the env schema; cluster.LOG_LEVEL: "loud"/);
  });
});

describe("startService", () => {
  const order: string[] = [];
  const bus = new MemoryBus();
  let running: Awaited<ReturnType<typeof start>>;
  const start = () =>
    startService(
      defineService({
        contract,
        migrations: [{ id: "001_probe", sql: "create table probe_rows (id text primary key)" }],
        async setup(ctx) {
          ctx.onClose("first", () => void order.push("first closer"));
          let ran = false;
          ctx.every("slow task", 5, async () => {
            if (ran) return;
            ran = true;
            order.push("task started");
            await new Promise((r) => setTimeout(r, 100));
            await ctx.db!.query("select 1"); // the pool is still open: shutdown waited for this run
            order.push("task finished");
          });
          ctx.onClose("second", () => void order.push("second closer"));
          await ctx.app.register(async (app) => {
            await app.register(authenticate, { keys: ctx.keys });
            app.get("/api/v1/me", async (req) => principalOf(req));
          });
          await ctx.consume(TOPICS.budgets, () => {});
          return { ctx };
        },
      }),
      {
        env: {
          PORT: "0",
          HOST: "127.0.0.1",
          DATA_DIR: "memory",
          API_KEYS: "t-key:acme",
          ADMIN_API_KEYS: "a-key",
          LOG_LEVEL: "silent",
        },
        bus,
        instanceId: "i1",
      },
    );
  beforeAll(async () => {
    running = await start();
  });

  it("applies the bus's and the service's migrations before it serves, and /ready checks the database", async () => {
    const r = await running.db!.query("select namespace, id from schema_migrations order by 1, 2");
    expect(r.rows).toEqual([
      { namespace: "bus", id: "001_outbox" },
      { namespace: "bus", id: "002_dead_letters" },
      { namespace: "probe", id: "001_probe" },
    ]);
    const ready = (await (await fetch(`${running.url}/ready`)).json()) as any;
    expect(ready).toMatchObject({ status: "ready", checks: { database: true } });
  });

  it("authenticate: 401 without a valid key; the principal for tenant, admin and admin acting for a tenant", async () => {
    const me = (headers: Record<string, string>) => fetch(`${running.url}/api/v1/me`, { headers });
    expect((await me({})).status).toBe(401);
    expect((await me({ authorization: "Bearer nope" })).status).toBe(401);
    expect(await (await me({ authorization: "Bearer t-key" })).json()).toEqual({
      tenant: "acme",
      admin: false,
    });
    expect(await (await me({ authorization: "Bearer a-key" })).json()).toEqual({ tenant: null, admin: true });
    expect(await (await me({ authorization: "Bearer a-key", "x-llm-tenant": "globex" })).json()).toEqual({
      tenant: "globex",
      admin: true,
    });
    // A tenant key cannot borrow another tenant.
    expect(await (await me({ authorization: "Bearer t-key", "x-llm-tenant": "globex" })).json()).toEqual({
      tenant: "acme",
      admin: false,
    });
    expect((await fetch(`${running.url}/health`)).status).toBe(200);
  });

  it("publish and consume stay within the contract", async () => {
    const { ctx } = running.api;
    expect(() => ctx.publish(TOPICS.anomalies as never, {} as never)).toThrow(/does not list in produces/);
    await expect(ctx.consume(TOPICS.traces as never, () => {})).rejects.toThrow(/does not list in consumes/);
  });

  it("close: HTTP first, then periodic tasks (a run in progress finishes), then the service's closers in reverse order; a shared bus stays open", async () => {
    await until(
      () => order,
      (o) => o.includes("task started"),
      "the periodic task to start",
    );
    await running.close();
    expect(order).toEqual(["task started", "task finished", "second closer", "first closer"]);
    await expect(fetch(`${running.url}/health`)).rejects.toThrow();
    expect(bus.healthy()).toBe(true);
    await bus.close();
  });
});

describe("Periodic", () => {
  it("never overlaps itself, and a failing run is logged and retried on the next tick", async () => {
    const errors: unknown[] = [];
    const logger = { ...silent, error: (o: unknown) => void errors.push(o) } as typeof silent;
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const p = new Periodic(
      "flaky",
      2,
      async () => {
        runs++;
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 20));
        active--;
        if (runs === 1) throw new Error("first run fails");
      },
      logger,
    );
    await until(
      () => runs,
      (n) => n >= 3,
      "three runs",
    );
    await p.stop();
    const after = runs;
    await new Promise((r) => setTimeout(r, 30));
    expect(runs).toBe(after);
    expect(maxActive).toBe(1);
    expect(errors).toEqual([{ err: "first run fails", task: "flaky" }]);
  });
});

describe("entries", () => {
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, ["--import", "tsx", "services/run.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: "silent", ...env },
      encoding: "utf8",
    });

  it("a bad config is one message naming every problem and exit 2, never a stack trace", () => {
    const r = run(["trace-proxy"], { UPSTREAM_URL: "", PROVIDERS: "", TIMEOUT_MS: "soon" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^trace-proxy: Invalid configuration/);
    expect(r.stderr).toContain("TIMEOUT_MS");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("an unknown service or command is a usage line and exit 2; --list prints the services", () => {
    expect(run(["nope"], {}).status).toBe(2);
    expect(run(["trace-proxy", "explode"], {}).stderr).toMatch(/^usage: /);
    expect(run(["--list"], {}).stdout.split("\n")).toEqual(expect.arrayContaining(["router", "trace-proxy"]));
  });
});
