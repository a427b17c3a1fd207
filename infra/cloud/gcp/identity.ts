/**
 * GKE Workload Identity: one Google service account per in-cluster consumer, impersonable only by
 * its exact Kubernetes ServiceAccount. Permissions are granted on the consumer's resources by the
 * module that owns them (zone, secrets, buckets).
 */
import type * as container from "@pulumi/gcp/container/index.js";
import * as serviceaccount from "@pulumi/gcp/serviceaccount/index.js";
import type { CloudContext } from "../context.ts";
import { after } from "../context.ts";
import { gcpAccountId } from "../naming.ts";
import type { ServiceAccountRef } from "../../names.ts";
import type { WorkloadIdentity } from "../types.ts";

export const GKE_WI_ANNOTATION = "iam.gke.io/gcp-service-account";

export interface GcpWorkloadIdentity {
  account: serviceaccount.Account;
  identity: WorkloadIdentity;
}

export function gcpWorkloadIdentity(
  ctx: CloudContext,
  project: string,
  cluster: container.Cluster,
  id: string,
  serviceAccount: ServiceAccountRef,
): GcpWorkloadIdentity {
  const accountId = gcpAccountId(ctx.base, id);
  const account = new serviceaccount.Account(
    `${ctx.base}-${id}`,
    {
      accountId,
      project,
      displayName: `${ctx.base} ${serviceAccount.namespace}/${serviceAccount.name}`,
      description: `Workload Identity of ${serviceAccount.namespace}/${serviceAccount.name}`,
    },
    ctx.opts,
  );
  new serviceaccount.IAMMember(
    `${ctx.base}-${id}-wi`,
    {
      // The id is the fully qualified projects/<project>/serviceAccounts/<email>.
      serviceAccountId: account.id,
      role: "roles/iam.workloadIdentityUser",
      member: `serviceAccount:${project}.svc.id.goog[${serviceAccount.namespace}/${serviceAccount.name}]`,
    },
    // The workload pool exists once the cluster does.
    after(ctx, cluster),
  );
  return {
    account,
    identity: {
      serviceAccount,
      serviceAccountAnnotations: { [GKE_WI_ANNOTATION]: account.email },
      podLabels: {},
    },
  };
}
