import { asArray } from "./k8s.ts";
import { resourceRule } from "./types.ts";

export const awsEksCluster = resourceRule({
  id: "aws-eks-cluster",
  description:
    "EKS clusters encrypt Kubernetes secrets with KMS, ship control-plane logs and keep the API endpoint private " +
    "or restricted to known CIDRs.",
  severity: "critical",
  category: "security",
  checklist: [
    {
      seed: "core",
      item: 'Prerequisites > AWS (EKS); Security > Best Practices "Enable RBAC", "Secrets Management"',
    },
    {
      seed: "sentinel",
      item: 'Security: "Use secrets management (Vault, AWS Secrets Manager)", "Enable RBAC with minimal permissions"',
    },
  ],
  remediation:
    "Set encryptionConfig {resources: [secrets], provider: {keyArn: <kms key>}}, enabledClusterLogTypes " +
    "[api, audit, authenticator, controllerManager, scheduler] and vpcConfig {endpointPrivateAccess: true, " +
    "endpointPublicAccess: false} (or publicAccessCidrs without 0.0.0.0/0).",
  types: ["aws:eks/cluster:Cluster"],
  options: { requiredLogTypes: ["api", "audit", "authenticator"] as string[] },
  configSchema: { requiredLogTypes: { type: "array", items: { type: "string" } } },
  check(props, o) {
    const out: string[] = [];
    const enc = props.encryptionConfig;
    const encs = Array.isArray(enc) ? enc : enc ? [enc] : [];
    if (!encs.some((e) => asArray(e?.resources).includes("secrets") && e?.provider?.keyArn))
      out.push("encryptionConfig does not encrypt secrets with a KMS key.");
    const logs: string[] = asArray(props.enabledClusterLogTypes);
    const missing = o.requiredLogTypes.filter((l) => !logs.includes(l));
    if (missing.length) out.push(`control-plane logs not enabled: ${missing.join(", ")}.`);
    const vpc = props.vpcConfig ?? {};
    if (vpc.endpointPublicAccess !== false) {
      const cidrs: string[] = asArray(vpc.publicAccessCidrs);
      if (cidrs.length === 0 || cidrs.includes("0.0.0.0/0"))
        out.push(
          "API endpoint is public to 0.0.0.0/0; disable endpointPublicAccess or restrict publicAccessCidrs.",
        );
    }
    if (vpc.endpointPrivateAccess !== true) out.push("vpcConfig.endpointPrivateAccess is not true.");
    return out;
  },
});
