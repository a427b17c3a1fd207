import { resourceRule } from "./types.ts";

export const azureAksSecurity = resourceRule({
  id: "azure-aks-security",
  description:
    "AKS clusters use Kubernetes RBAC (Entra ID), disable local accounts, enforce network policy and restrict the API server.",
  severity: "critical",
  category: "security",
  checklist: [
    {
      seed: "core",
      item: 'Prerequisites > Azure (AKS); Security > Best Practices "Enable RBAC", "Network Policies"',
    },
    { seed: "sentinel", item: 'Security: "Enable RBAC with minimal permissions", "Enable network policies"' },
  ],
  remediation:
    "Set enableRBAC: true, aadProfile {managed: true, enableAzureRBAC: true}, disableLocalAccounts: true, " +
    "networkProfile.networkPolicy: azure|calico|cilium and apiServerAccessProfile {enablePrivateCluster: true} " +
    "or authorizedIPRanges.",
  types: ["azure-native:containerservice:ManagedCluster"],
  check(props) {
    const out: string[] = [];
    if (props.enableRBAC !== true) out.push("enableRBAC is not true.");
    if (props.disableLocalAccounts !== true)
      out.push("disableLocalAccounts is not true (static admin kubeconfig).");
    if (!props.aadProfile) out.push("aadProfile (Entra ID integration) is unset.");
    const np = props.networkProfile?.networkPolicy;
    if (!np || np === "none")
      out.push("networkProfile.networkPolicy is unset; NetworkPolicies would not be enforced.");
    const api = props.apiServerAccessProfile ?? {};
    const ranges: string[] = Array.isArray(api.authorizedIPRanges) ? api.authorizedIPRanges : [];
    if (api.enablePrivateCluster !== true && (ranges.length === 0 || ranges.includes("0.0.0.0/0")))
      out.push("API server is public; enable a private cluster or set authorizedIPRanges.");
    return out;
  },
});
