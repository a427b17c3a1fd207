import taggable from "./taggable.json" with { type: "json" };
import { resourceRule } from "./types.ts";

/** Types whose Args take tags/labels, generated from the installed SDKs (taggable.gen.ts). */
const TAGGABLE = new Set<string>(Object.values(taggable as Record<string, string[]>).flat());

/** Where each cloud resource keeps its tags/labels (path within inputs). */
export const TAG_PATHS: Record<string, string> = {
  "aws:eks/cluster:Cluster": "tags",
  "aws:eks/nodeGroup:NodeGroup": "tags",
  "aws:ec2/vpc:Vpc": "tags",
  "aws:ec2/subnet:Subnet": "tags",
  "aws:ec2/securityGroup:SecurityGroup": "tags",
  "aws:rds/cluster:Cluster": "tags",
  "aws:rds/instance:Instance": "tags",
  "aws:rds/clusterInstance:ClusterInstance": "tags",
  "aws:secretsmanager/secret:Secret": "tags",
  "aws:kms/key:Key": "tags",
  "aws:route53/zone:Zone": "tags",
  "aws:iam/role:Role": "tags",
  "aws:s3/bucket:Bucket": "tags",
  "aws:s3/bucketV2:BucketV2": "tags",
  "gcp:container/cluster:Cluster": "resourceLabels",
  "gcp:container/nodePool:NodePool": "nodeConfig.resourceLabels",
  "gcp:sql/databaseInstance:DatabaseInstance": "settings.userLabels",
  "gcp:secretmanager/secret:Secret": "labels",
  "gcp:dns/managedZone:ManagedZone": "labels",
  "gcp:storage/bucket:Bucket": "labels",
  "gcp:kms/cryptoKey:CryptoKey": "labels",
  "azure-native:resources:ResourceGroup": "tags",
  "azure-native:containerservice:ManagedCluster": "tags",
  "azure-native:containerservice:AgentPool": "tags",
  "azure-native:keyvault:Vault": "tags",
  "azure-native:dbforpostgresql:Server": "tags",
  "azure-native:dns:Zone": "tags",
  "azure-native:network:Zone": "tags",
  "azure-native:network:VirtualNetwork": "tags",
  "azure-native:managedidentity:UserAssignedIdentity": "tags",
};

const DNS = [
  "aws:route53/zone:Zone",
  "gcp:dns/managedZone:ManagedZone",
  "azure-native:dns:Zone",
  "azure-native:network:Zone",
];

export function tagPathOf(type: string, props: Record<string, any>): string | undefined {
  if (TAG_PATHS[type]) return TAG_PATHS[type];
  const key = type.startsWith("gcp:") ? "labels" : "tags";
  // Known taggable from the SDK schema, or any other resource that was given tags/labels.
  return TAGGABLE.has(type) || key in props ? key : undefined;
}

const get = (o: any, path: string) => path.split(".").reduce((x, k) => (x == null ? undefined : x[k]), o);

export const cloudTags = resourceRule({
  id: "cloud-tags",
  description:
    "Cloud resources (DNS zones included) are tagged/labelled with environment, project and stack for ownership and cost.",
  severity: "low",
  category: "security",
  checklist: [
    { seed: "sentinel", item: 'Configuration: "Use environment-specific configs"' },
    { seed: "core", item: "Configuration > DNS Configuration (the stack's own zone)" },
  ],
  remediation:
    "Pass the shared tags {environment, project, stack} as aws tags (or provider defaultTags), gcp labels / " +
    "resourceLabels / settings.userLabels (or provider defaultLabels) and azure tags.",
  types: (t) => t.startsWith("aws:") || t.startsWith("gcp:") || t.startsWith("azure-native:"),
  options: { requiredTags: ["environment", "project", "stack"] as string[] },
  configSchema: { requiredTags: { type: "array", items: { type: "string" } } },
  check(props, o, args) {
    const path = tagPathOf(args.type, props);
    if (!path) args.notApplicable("resource type has no tags/labels");
    const own = (get(props, path!) ?? {}) as Record<string, unknown>;
    const prov = args.provider?.props ?? {};
    const defaults = (prov.defaultTags?.tags ?? prov.defaultLabels ?? {}) as Record<string, unknown>;
    const tags = { ...defaults, ...own };
    const missing = o.requiredTags.filter((k) => typeof tags[k] !== "string" || tags[k] === "");
    if (!missing.length) return [];
    const what = DNS.includes(args.type) ? "DNS zone" : "resource";
    return [`${what} ${path} lacks ${missing.join(", ")}.`];
  },
});
