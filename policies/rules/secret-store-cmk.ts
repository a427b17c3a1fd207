import { asArray } from "./k8s.ts";
import { resourceRule } from "./types.ts";

const AWS_SECRET = "aws:secretsmanager/secret:Secret";
const AWS_KMS = "aws:kms/key:Key";
const GCP_SECRET = "gcp:secretmanager/secret:Secret";
const GCP_KEY = "gcp:kms/cryptoKey:CryptoKey";
const AZ_VAULT = "azure-native:keyvault:Vault";

/** "7776000s" -> days. */
const seconds = (v: unknown) =>
  typeof v === "string" && /^\d+(\.\d+)?s$/.test(v) ? Number.parseFloat(v) : Number.NaN;

export const secretStoreCmk = resourceRule({
  id: "secret-store-cmk",
  description:
    "Secret stores are encrypted with customer-managed keys (rotated) and protected against purge.",
  severity: "high",
  category: "security",
  checklist: [
    {
      seed: "sentinel",
      item: 'Security: "Use secrets management (Vault, AWS Secrets Manager)", "Rotate credentials regularly"',
    },
    {
      seed: "core",
      item: 'Security > Secrets Management: "Use external secret managers (AWS Secrets Manager, Vault)"',
    },
  ],
  remediation:
    "AWS: kmsKeyId on every Secrets Manager secret and enableKeyRotation on the KMS key; GCP: replication with " +
    "customerManagedEncryption.kmsKeyName and a rotationPeriod on the Cloud KMS key; Azure: Key Vault properties enablePurgeProtection: true and soft delete " +
    "(RBAC authorization on).",
  types: [AWS_SECRET, AWS_KMS, GCP_SECRET, GCP_KEY, AZ_VAULT],
  options: { maxRotationDays: 365 },
  configSchema: { maxRotationDays: { type: "integer", minimum: 1 } },
  check(props, o, args) {
    switch (args.type) {
      case GCP_KEY: {
        const secs = seconds(props.rotationPeriod);
        return secs > 0 && secs <= o.maxRotationDays * 86400
          ? []
          : [
              `crypto key rotationPeriod is ${props.rotationPeriod ?? "unset"}; rotate at least every ${o.maxRotationDays} days.`,
            ];
      }
      case AWS_SECRET:
        return props.kmsKeyId
          ? []
          : ["secret is encrypted with the AWS-managed key; set kmsKeyId to a customer key."];
      case AWS_KMS:
        return props.enableKeyRotation === true ? [] : ["KMS key rotation is off (enableKeyRotation)."];
      case GCP_SECRET: {
        const r = props.replication ?? {};
        const ok =
          !!r.auto?.customerManagedEncryption?.kmsKeyName ||
          (asArray(r.userManaged?.replicas).length > 0 &&
            asArray(r.userManaged?.replicas).every((x) => x?.customerManagedEncryption?.kmsKeyName));
        return ok ? [] : ["secret replication has no customerManagedEncryption.kmsKeyName."];
      }
      default: {
        const p = props.properties ?? {};
        const out: string[] = [];
        if (p.enablePurgeProtection !== true)
          out.push("Key Vault purge protection is off (properties.enablePurgeProtection).");
        if (p.enableSoftDelete === false) out.push("Key Vault soft delete is disabled.");
        if (p.enableRbacAuthorization !== true)
          out.push("Key Vault uses access policies; set enableRbacAuthorization: true.");
        return out;
      }
    }
  },
});
