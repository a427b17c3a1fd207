/**
 * IRSA: one IAM role per in-cluster consumer, assumable only by its exact ServiceAccount through the
 * cluster's OIDC provider, with an inline policy scoped to that consumer's resources.
 */
import * as iam from "@pulumi/aws/iam/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import type { ServiceAccountRef } from "../../names.ts";
import type { WorkloadIdentity } from "../types.ts";

export const IRSA_ANNOTATION = "eks.amazonaws.com/role-arn";

export interface AwsIrsa {
  role(id: string, serviceAccount: ServiceAccountRef): iam.Role;
}

export function awsIrsa(
  ctx: CloudContext,
  oidc: { provider: iam.OpenIdConnectProvider; issuer: pulumi.Output<string> },
): AwsIrsa {
  const issuerHost = oidc.issuer.apply((url) => url.replace(/^https:\/\//, ""));
  return {
    role(id, sa) {
      return new iam.Role(
        `${ctx.base}-${id}`,
        {
          description: `IRSA for ${sa.namespace}/${sa.name}`,
          assumeRolePolicy: pulumi.all([oidc.provider.arn, issuerHost]).apply(([arn, host]) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { Federated: arn },
                  Action: "sts:AssumeRoleWithWebIdentity",
                  Condition: {
                    StringEquals: {
                      [`${host}:sub`]: `system:serviceaccount:${sa.namespace}:${sa.name}`,
                      [`${host}:aud`]: "sts.amazonaws.com",
                    },
                  },
                },
              ],
            }),
          ),
          tags: ctx.tags,
        },
        ctx.opts,
      );
    },
  };
}

/** A role for a consumer with its inline policy, returned as the annotation its ServiceAccount needs. */
export function irsaIdentity(
  ctx: CloudContext,
  irsa: AwsIrsa,
  id: string,
  serviceAccount: ServiceAccountRef,
  statements: pulumi.Input<Record<string, unknown>[]>,
): WorkloadIdentity {
  const role = irsa.role(id, serviceAccount);
  new iam.RolePolicy(
    `${ctx.base}-${id}`,
    {
      role: role.id,
      policy: pulumi.output(statements).apply((s) => JSON.stringify({ Version: "2012-10-17", Statement: s })),
    },
    ctx.opts,
  );
  return { serviceAccount, serviceAccountAnnotations: { [IRSA_ANNOTATION]: role.arn }, podLabels: {} };
}
