/**
 * Cloud KMS: a key ring in the stack's region with one rotating key per purpose (the cluster key
 * wraps Kubernetes Secrets in etcd; the data key encrypts Secret Manager entries and Cloud SQL),
 * and the Google service agents that use them on our behalf.
 */
import * as kms from "@pulumi/gcp/kms/index.js";
import * as projects from "@pulumi/gcp/projects/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";

const ENCRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
/** 90 days: the CIS benchmark's upper bound for key rotation. */
const ROTATION = "7776000s";

export interface GcpKeys {
  cluster: kms.CryptoKey;
  data: kms.CryptoKey;
  /** Grants that must exist before a service encrypts with the key. */
  grants: { cluster: kms.CryptoKeyIAMMember[]; data: kms.CryptoKeyIAMMember[] };
}

export function gcpKeys(ctx: CloudContext, project: string, suffix: pulumi.Output<string>): GcpKeys {
  const { base, tags, opts, config, profile } = ctx;
  // Key rings can never be deleted: a suffix lets a destroyed stack be recreated under the same name.
  const ring = new kms.KeyRing(
    `${base}-keys`,
    { name: pulumi.interpolate`${base}-${suffix}`, location: config.region, project },
    opts,
  );
  const key = (purpose: string) =>
    new kms.CryptoKey(
      `${base}-${purpose}`,
      {
        name: purpose,
        keyRing: ring.id,
        rotationPeriod: ROTATION,
        // Versions stay restorable this long after a destroy.
        destroyScheduledDuration: `${profile.keyDeletionWindowDays * 86400}s`,
        labels: tags,
      },
      opts,
    );
  const cluster = key("cluster");
  const data = key("data");

  const agent = (service: string) =>
    new projects.ServiceIdentity(`${base}-${service.split(".")[0]}-agent`, { project, service }, opts);
  const grant = (id: string, k: kms.CryptoKey, a: projects.ServiceIdentity) =>
    new kms.CryptoKeyIAMMember(
      `${base}-${id}`,
      { cryptoKeyId: k.id, role: ENCRYPTER, member: a.member },
      opts,
    );

  return {
    cluster,
    data,
    grants: {
      cluster: [grant("gke-cluster-key", cluster, agent("container.googleapis.com"))],
      data: [
        grant("secretmanager-data-key", data, agent("secretmanager.googleapis.com")),
        grant("sql-data-key", data, agent("sqladmin.googleapis.com")),
      ],
    },
  };
}
