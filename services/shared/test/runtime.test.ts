import http from "node:http";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ApiError,
  ConfigError,
  commonEnv,
  createLogger,
  createRegistry,
  createService,
  envs,
  errors,
  kafkaSslFromConfig,
  KeyStore,
  listen,
  loadConfig,
  requireAdmin,
  Shutdown,
  scopeTenant,
  tenantKeysFromConfig,
} from "../src/index.ts";

describe("config from env", () => {
  const schema = z.object({
    ...commonEnv,
    PORT: envs.port(8080),
    WORKERS: envs.int(4, 1, 64),
    FEATURE: envs.bool(false),
  });

  it("applies defaults and coerces types; empty strings count as unset", () => {
    const c = loadConfig(schema, { WORKERS: "8", FEATURE: "on", PORT: "" });
    expect(c).toMatchObject({
      PORT: 8080,
      WORKERS: 8,
      FEATURE: true,
      LOG_LEVEL: "info",
      KAFKA_BROKERS: [],
      DATA_DIR: ".data",
    });
    expect(loadConfig(schema, { KAFKA_BROKERS: "a:9092, b:9092" }).KAFKA_BROKERS).toEqual([
      "a:9092",
      "b:9092",
    ]);
  });

  it("throws one ConfigError naming every bad variable", () => {
    try {
      loadConfig(schema, {
        PORT: "99999",
        WORKERS: "zero",
        FEATURE: "perhaps",
        LOG_LEVEL: "loud",
        DATABASE_URL: "mysql://u:secret@x/db",
      });
      expect.unreachable();
    } catch (e) {
      const err = e as ConfigError;
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.problems).toHaveLength(5);
      for (const k of ["PORT", "WORKERS", "FEATURE", "LOG_LEVEL", "DATABASE_URL"])
        expect(err.message).toContain(k);
      expect(err.message).not.toContain("secret");
    }
  });

  it("maps client keys to tenants from API_KEYS, ROUTER_API_KEYS (alias) and a keys file", async () => {
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "keys-"));
    writeFileSync(join(dir, "keys.json"), JSON.stringify({ "k-file": "filed" }));
    const keys = tenantKeysFromConfig({
      API_KEYS: "k1:acme,k2:globex",
      ROUTER_API_KEYS: "k3:initech",
      API_KEYS_FILE: join(dir, "keys.json"),
    });
    expect(Object.fromEntries(keys)).toEqual({ k1: "acme", k2: "globex", k3: "initech", "k-file": "filed" });
    expect(() => tenantKeysFromConfig({ API_KEYS: "no-tenant" })).toThrow(ConfigError);
  });
});

describe("Kafka TLS from env", () => {
  it("reads the PEM files named by KAFKA_SSL_*_FILE and reports unreadable or half-set ones", async () => {
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "tls-"));
    for (const f of ["ca.crt", "user.crt", "user.key"]) writeFileSync(join(dir, f), `PEM ${f}`);
    expect(kafkaSslFromConfig({})).toBeUndefined();
    expect(
      kafkaSslFromConfig({
        KAFKA_SSL_CA_FILE: join(dir, "ca.crt"),
        KAFKA_SSL_CERT_FILE: join(dir, "user.crt"),
        KAFKA_SSL_KEY_FILE: join(dir, "user.key"),
      }),
    ).toEqual({ ca: "PEM ca.crt", cert: "PEM user.crt", key: "PEM user.key" });
    expect(() =>
      kafkaSslFromConfig({
        KAFKA_SSL_CA_FILE: join(dir, "missing.crt"),
        KAFKA_SSL_CERT_FILE: join(dir, "user.crt"),
      }),
    ).toThrow(
      /KAFKA_SSL_CA_FILE: cannot read[\s\S]*set both or neither|set both or neither[\s\S]*KAFKA_SSL_CA_FILE: cannot read/,
    );
  });
});

describe("KeyStore", () => {
  const ks = new KeyStore(new Map([["t-key", "acme"]]), new Set(["a-key"]));
  it("resolves tenant and admin keys from the Authorization header", () => {
    expect(ks.resolve("Bearer t-key")).toEqual({ tenant: "acme", admin: false });
    expect(ks.resolve("Bearer a-key")).toEqual({ tenant: null, admin: true });
    expect(ks.resolve("Bearer nope")).toBeNull();
    expect(ks.resolve("t-key")).toBeNull();
    expect(ks.resolve(undefined)).toBeNull();
  });
  it("lets an admin key act for a tenant (x-llm-tenant); a tenant key stays bound to its own", () => {
    expect(ks.resolve("Bearer a-key", "globex")).toEqual({ tenant: "globex", admin: true });
    expect(ks.resolve("Bearer t-key", "globex")).toEqual({ tenant: "acme", admin: false });
  });
  it("scopes reads: a tenant sees its own tenant, an admin any; writes need an admin", () => {
    expect(scopeTenant({ tenant: "acme", admin: false }, undefined)).toBe("acme");
    expect(() => scopeTenant({ tenant: "acme", admin: false }, "globex")).toThrow(ApiError);
    expect(scopeTenant({ tenant: null, admin: true }, undefined)).toBeUndefined();
    expect(scopeTenant({ tenant: null, admin: true }, "globex")).toBe("globex");
    expect(() => requireAdmin({ tenant: "acme", admin: false })).toThrow(/admin/);
  });
});

/** A logger at `level` whose JSON lines land, parsed, in `lines`. */
function capturedLogger(level: string) {
  const lines: any[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: createLogger("svc", level, sink) };
}

describe("service skeleton", () => {
  const { lines, logger } = capturedLogger("info");
  let dbUp = true;
  const app = createService({
    name: "svc",
    logger,
    registry: createRegistry("svc"),
    readiness: { db: () => dbUp },
    bodyLimit: 1024,
  });
  app.post(
    "/echo",
    { schema: { body: { type: "object", required: ["name"], properties: { name: { type: "string" } } } } },
    async (req) => req.body,
  );
  app.get("/boom", async () => {
    throw new Error("secret internals");
  });
  app.get("/denied", async () => {
    throw errors.forbidden("nope");
  });
  app.get("/log", async (req) => {
    req.log.info({ authorization: "Bearer sk-should-not-appear", apiKey: "sk-nor-this" }, "with secrets");
    return { ok: true };
  });
  let url: string;
  afterAll(async () => {
    await app.close();
  });

  it("serves /health, /ready (503 when a dependency check fails) and /metrics with default process metrics", async () => {
    url = await listen(app, 0, "127.0.0.1");
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: "ok", service: "svc" });
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    dbUp = false;
    const r = await fetch(`${url}/ready`);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ status: "not_ready", checks: { db: false } });
    dbUp = true;
    const m = await fetch(`${url}/metrics`);
    expect(m.headers.get("content-type")).toContain("text/plain");
    const text = await m.text();
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain('nodejs_eventloop_lag_seconds{service="svc"}');
  });

  it("answers errors as OpenAI-style JSON with the right status", async () => {
    const bad = await fetch(`${url}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { type: "invalid_request_error", code: "invalid_json" },
    });
    const invalid = await fetch(`${url}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as any).error.message).toContain("name");
    const big = await fetch(`${url}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x".repeat(2000) }),
    });
    expect(big.status).toBe(413);
    const boom = await fetch(`${url}/boom`);
    expect(boom.status).toBe(500);
    const boomBody = (await boom.json()) as any;
    expect(boomBody).toEqual({
      error: { message: "Internal server error", type: "server_error", code: "internal_error", param: null },
    });
    expect((await fetch(`${url}/denied`)).status).toBe(403);
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { type: "not_found_error" } });
  });

  it("writes JSON logs with secrets redacted", async () => {
    await fetch(`${url}/log`);
    const entry = lines.find((l) => l.msg === "with secrets");
    expect(entry).toMatchObject({
      level: "info",
      service: "svc",
      reqId: expect.any(String),
      authorization: "[redacted]",
      apiKey: "[redacted]",
    });
    expect(JSON.stringify(lines)).not.toContain("sk-should-not-appear");
    expect(lines.some((l) => l.msg === "request" && l.url === "/log" && l.statusCode === 200)).toBe(true);
  });
});

describe("request loggers", () => {
  it("bind the request id, and are made only for a request that logs at an enabled level", async () => {
    const { lines, logger } = capturedLogger("warn");
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((...args: Parameters<typeof child>) => (children++, child(...args))) as typeof child;
    const app = createService({ name: "svc", logger, registry: createRegistry("svc", false) });
    app.get("/quiet", async (req) => {
      req.log.info("below the level");
      return { ok: true };
    });
    app.get("/loud", async (req) => {
      req.log.warn({ detail: 1 }, "worth a line");
      return { ok: true };
    });
    const url = await listen(app, 0, "127.0.0.1");
    try {
      const atStart = children;
      await fetch(`${url}/quiet`, { headers: { "x-request-id": "r-quiet" } });
      expect(children - atStart).toBe(0);
      await fetch(`${url}/loud`, { headers: { "x-request-id": "r-loud" } });
      expect(children - atStart).toBe(1);
      expect(lines).toEqual([
        expect.objectContaining({ level: "warn", reqId: "r-loud", detail: 1, msg: "worth a line" }),
      ]);
    } finally {
      await app.close();
    }
  });
});

/** A service whose /slow answers only when the spec releases it: a request held in flight. */
function slowService() {
  const logger = createLogger("svc", "silent");
  const app = createService({ name: "svc", logger, registry: createRegistry("svc", false) });
  let held: (() => void) | undefined;
  app.get("/slow", async () => {
    await new Promise<void>((r) => {
      held = r;
    });
    return { done: true };
  });
  return { logger, app, release: () => held!() };
}

describe("graceful shutdown", () => {
  it("runs closers once, in order, draining in-flight requests first", async () => {
    const { logger, app, release } = slowService();
    const url = await listen(app, 0, "127.0.0.1");
    const order: string[] = [];
    const sd = new Shutdown(logger, 5000);
    sd.add("http", async () => {
      await app.close();
      order.push("http");
    });
    sd.add("bus", () => void order.push("bus"));
    const inflight = fetch(`${url}/slow`);
    await new Promise((r) => setTimeout(r, 50));
    const closing = sd.run("test");
    void sd.run("again");
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual([]); // still draining the in-flight request
    release();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    await closing;
    expect(order).toEqual(["http", "bus"]);
  });

  it("answers the requests in flight at shutdown with Connection: close and ends idle keep-alive sockets", async () => {
    const { app, release } = slowService();
    const url = new URL(await listen(app, 0, "127.0.0.1"));
    const agents = [new http.Agent({ keepAlive: true }), new http.Agent({ keepAlive: true })];
    const get = (path: string, agent: http.Agent) =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get({ host: url.hostname, port: url.port, path, agent }, resolve).on("error", reject);
      });
    const idle = await get("/health", agents[0]!);
    idle.resume();
    expect(idle.headers.connection).toBe("keep-alive");
    const idleSocket = idle.socket;
    const idleClosed = new Promise((r) => idleSocket.once("close", r));
    await new Promise((r) => idle.once("end", r));
    const inflight = get("/slow", agents[1]!);
    await new Promise((r) => setTimeout(r, 50));
    const closed = app.close();
    await new Promise((r) => setTimeout(r, 50));
    release();
    const res = await inflight;
    expect(res.statusCode).toBe(200);
    expect(res.headers.connection).toBe("close");
    res.resume();
    await closed;
    await idleClosed; // the server ended the socket that carried nothing
    for (const a of agents) a.destroy();
  });
});
