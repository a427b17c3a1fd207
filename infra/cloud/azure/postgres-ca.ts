/**
 * The roots Azure Database for PostgreSQL certificates chain to, as Microsoft's TLS guidance lists
 * them: DigiCert Global Root G2 and Microsoft RSA Root Certificate Authority 2017 (server
 * certificates are cross-signed under both), and DigiCert Global Root CA, still used in China regions.
 * They are public roots that Node's bundled Mozilla store carries, so they are taken from there and
 * the services trust these three only, not every public CA.
 */
import { X509Certificate } from "node:crypto";
import { rootCertificates } from "node:tls";

export const AZURE_POSTGRES_ROOTS = [
  "DigiCert Global Root G2",
  "Microsoft RSA Root Certificate Authority 2017",
  "DigiCert Global Root CA",
] as const;

export function azurePostgresCaBundle(): string {
  const byName = new Map<string, string>();
  for (const pem of rootCertificates) {
    const cn = new X509Certificate(pem).subject
      .split("\n")
      .find((part) => part.startsWith("CN="))
      ?.slice(3);
    if (cn) byName.set(cn, pem);
  }
  const missing = AZURE_POSTGRES_ROOTS.filter((name) => !byName.has(name));
  if (missing.length > 0)
    throw new Error(
      `this Node.js has no ${missing.join(", ")} root certificate: Azure Postgres TLS needs it`,
    );
  return AZURE_POSTGRES_ROOTS.map((name) => `${byName.get(name)!.trim()}\n`).join("");
}
