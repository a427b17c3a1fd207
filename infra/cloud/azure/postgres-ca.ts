/**
 * The roots Azure Database for PostgreSQL certificates chain to, as Microsoft's TLS guidance lists
 * them: DigiCert Global Root G2 and Microsoft RSA Root Certificate Authority 2017 (server
 * certificates are cross-signed under both), and DigiCert Global Root CA, still used in China regions.
 * The services trust these three only, not every public CA. They ship as files beside this module,
 * pinned by SHA-256 fingerprint: Node's bundled Mozilla store is not a stable source (Node 24 no longer
 * carries DigiCert Global Root CA), and the plan must not change with the Node that runs it.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";

const ROOTS = [
  {
    name: "DigiCert Global Root G2",
    file: "digicert-global-root-g2.pem",
    sha256: "CB:3C:CB:B7:60:31:E5:E0:13:8F:8D:D3:9A:23:F9:DE:47:FF:C3:5E:43:C1:14:4C:EA:27:D4:6A:5A:B1:CB:5F",
  },
  {
    name: "Microsoft RSA Root Certificate Authority 2017",
    file: "microsoft-rsa-root-ca-2017.pem",
    sha256: "C7:41:F7:0F:4B:2A:8D:88:BF:2E:71:C1:41:22:EF:53:EF:10:EB:A0:CF:A5:E6:4C:FA:20:F4:18:85:30:73:E0",
  },
  {
    name: "DigiCert Global Root CA",
    file: "digicert-global-root-ca.pem",
    sha256: "43:48:A0:E9:44:4C:78:CB:26:5E:05:8D:5E:89:44:B4:D8:4F:96:62:BD:26:DB:25:7F:89:34:A4:43:C7:01:61",
  },
] as const;

export function azurePostgresCaBundle(): string {
  return ROOTS.map((root) => {
    const pem = readFileSync(new URL(`./postgres-roots/${root.file}`, import.meta.url), "utf8");
    const cert = new X509Certificate(pem);
    if (cert.fingerprint256 !== root.sha256 || !cert.subject.includes(`CN=${root.name}`))
      throw new Error(`postgres-roots/${root.file} is not ${root.name} (fingerprint ${cert.fingerprint256})`);
    return `${pem.trim()}\n`;
  }).join("");
}
