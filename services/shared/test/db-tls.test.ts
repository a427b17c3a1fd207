/**
 * Postgres over TLS with the real `pg` driver, as a managed database serves it: a server certificate
 * signed by a private CA (RDS, Cloud SQL) that Node's default roots do not know, named by a DNS name
 * only (Cloud SQL's private-IP certificates carry no IP SAN). The server is PGlite behind a shim that
 * answers Postgres's SSLRequest and terminates TLS, the way a Postgres server with ssl=on does.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestCa, type TestCa } from "../../../test/helpers/tls.ts";
import { connectionConfig, openDatabase } from "../src/db.ts";

const dir = mkdtempSync(join(tmpdir(), "pg-tls-"));
const file = (name: string) => join(dir, name);
const folder = (name: string) => (mkdirSync(file(name)), file(name));

const SSL_REQUEST = 80877103;
let ca: TestCa;
let otherCa: TestCa;
let db: PGlite;
let backend: PGLiteSocketServer;
let shim: net.Server;
let port: number;

beforeAll(async () => {
  ca = makeTestCa(folder("ca"));
  otherCa = makeTestCa(folder("other-ca"));
  // Named by a DNS name only, as Cloud SQL's private-IP certificates are.
  const server = ca.issue("server", ["DNS:localhost"]);
  writeFileSync(file("not-a-certificate.txt"), "subjectAltName=DNS:localhost\n");

  db = await PGlite.create();
  backend = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 8 });
  await backend.start();
  const backendPort = Number(backend.getServerConn().split(":").pop());
  const secure = { key: readFileSync(server.keyFile), cert: readFileSync(server.certFile) };
  shim = net.createServer((client) => {
    client.once("data", (first) => {
      if (first.length !== 8 || first.readInt32BE(4) !== SSL_REQUEST) return client.destroy();
      client.write("S");
      const secured = new tls.TLSSocket(client, { isServer: true, ...secure });
      const upstream = net.connect(backendPort, "127.0.0.1");
      secured.pipe(upstream).pipe(secured);
      const close = () => (secured.destroy(), upstream.destroy());
      secured.on("error", close).on("close", close);
      upstream.on("error", close).on("close", close);
    });
  });
  await new Promise<void>((resolve) => shim.listen(0, "127.0.0.1", resolve));
  port = (shim.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => shim.close(resolve));
  await backend.stop();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a one-connection pool and runs a query: resolves to "ok" or the connection error's message. */
async function attempt(host: string, sslmode: string, caFile?: string): Promise<string> {
  const url = `postgres://postgres:postgres@${host}:${port}/postgres?sslmode=${sslmode}`;
  const database = await openDatabase({ url, caFile, maxConnections: 1 });
  try {
    const { rows } = await database.query("select 1 as one");
    return rows[0].one === 1 ? "ok" : "wrong answer";
  } catch (err) {
    return (err as Error).message;
  } finally {
    await database.close();
  }
}

describe("Postgres TLS with DATABASE_CA_FILE", () => {
  it("verify-full: connects when the certificate chains to the CA file and names the host", async () => {
    expect(await attempt("localhost", "verify-full", ca.caFile)).toBe("ok");
  });

  it("without a CA file, sslmode=require is verify-full against Node's roots, which a private CA fails", async () => {
    expect(await attempt("localhost", "require")).toMatch(/self.signed|unable to verify|local issuer/i);
  });

  it("verify-full refuses a server reached by an address its certificate does not name", async () => {
    expect(await attempt("127.0.0.1", "verify-full", ca.caFile)).toMatch(
      /IP: 127\.0\.0\.1 is not in the cert/,
    );
  });

  it("verify-ca (and require, as libpq reads it with a root certificate) checks the chain only", async () => {
    expect(await attempt("127.0.0.1", "verify-ca", ca.caFile)).toBe("ok");
    expect(await attempt("127.0.0.1", "require", ca.caFile)).toBe("ok");
  });

  it("verify-ca still refuses a certificate from any other CA", async () => {
    expect(await attempt("127.0.0.1", "verify-ca", otherCa.caFile)).toMatch(
      /self.signed|unable to verify|local issuer/i,
    );
  });

  it("refuses a CA file with a mode that does not verify, an unknown mode, or a missing file, by name", () => {
    const url = (mode: string) => `postgres://u:p@db:5432/x?sslmode=${mode}`;
    expect(() => connectionConfig(url("disable"), ca.caFile)).toThrow(/sslmode=disable/);
    expect(() => connectionConfig(url("bogus"), ca.caFile)).toThrow(/unknown sslmode=bogus/);
    expect(() => connectionConfig(url("verify-full"), file("nope.pem"))).toThrow(
      /DATABASE_CA_FILE .*nope\.pem/,
    );
    expect(() => connectionConfig(url("verify-full"), file("not-a-certificate.txt"))).toThrow(
      /no PEM certificate/,
    );
  });

  it("leaves a URL without a CA file to pg, and strips the URL's TLS parameters when it has one", () => {
    expect(connectionConfig(url())).toEqual({ connectionString: url() });
    const config = connectionConfig(url(), ca.caFile);
    expect(config.connectionString).toBe("postgres://u:p@db:5432/x?application_name=a");
    expect(config.ssl).toMatchObject({ rejectUnauthorized: true, ca: readFileSync(ca.caFile, "utf8") });
    function url() {
      return "postgres://u:p@db:5432/x?sslmode=verify-full&application_name=a";
    }
  });
});
