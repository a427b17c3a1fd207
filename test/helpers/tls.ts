/**
 * A private CA for suites whose peers serve TLS (a Postgres server, a token issuer): its PEM file
 * and server certificates it signs, made with the openssl command line in a temp directory.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCa {
  /** The CA's certificate (PEM): what a client is told to trust. */
  caFile: string;
  /** A server certificate and key signed by the CA for these subject alternative names. */
  issue(name: string, altNames: string[]): { certFile: string; keyFile: string };
}

export function makeTestCa(dir: string): TestCa {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const key = ["-newkey", "rsa:2048", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...key,
    "-days",
    "2",
    "-subj",
    "/CN=test-ca",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  return {
    caFile: join(dir, "ca.pem"),
    issue(name, altNames) {
      openssl("req", ...key, "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      writeFileSync(ext, `subjectAltName=${altNames.join(",")}\nextendedKeyUsage=serverAuth\n`);
      openssl(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        ext,
        "-out",
        `${name}.pem`,
      );
      return { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`) };
    },
  };
}
