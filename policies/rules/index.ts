/** The rule set: one module per rule. The CrossGuard pack, the offline checker and Gatekeeper all use this list. */
import { awsEksCluster } from "./aws-eks-cluster.ts";
import { azureAksSecurity } from "./azure-aks-security.ts";
import { azureAksZones } from "./azure-aks-zones.ts";
import { cloudTags } from "./cloud-tags.ts";
import { gcpGkeRegional } from "./gcp-gke-regional.ts";
import { gcpGkeSecurity } from "./gcp-gke-security.ts";
import { helmGatekeeper } from "./helm-gatekeeper.ts";
import { helmLokiRetention } from "./helm-loki-retention.ts";
import { helmPinnedRelease } from "./helm-pinned-release.ts";
import { helmPrometheusRetention } from "./helm-prometheus-retention.ts";
import { k8sAutoscaling } from "./k8s-autoscaling.ts";
import { k8sDefaultDeny } from "./k8s-default-deny.ts";
import { k8sExposure } from "./k8s-exposure.ts";
import { k8sHostIsolation } from "./k8s-host-isolation.ts";
import { k8sImageProvenance } from "./k8s-image-provenance.ts";
import { k8sMinReplicas } from "./k8s-min-replicas.ts";
import { k8sNamespacePodSecurity } from "./k8s-namespace-pod-security.ts";
import { k8sNoSecretLiterals } from "./k8s-no-secret-literals.ts";
import { k8sObservability } from "./k8s-observability.ts";
import { k8sPdbCoverage } from "./k8s-pdb-coverage.ts";
import { k8sPdbSettings } from "./k8s-pdb-settings.ts";
import { k8sPodSpread } from "./k8s-pod-spread.ts";
import { k8sProbes } from "./k8s-probes.ts";
import { k8sRequiredLabels } from "./k8s-required-labels.ts";
import { k8sResources } from "./k8s-resources.ts";
import { k8sSecurityContext } from "./k8s-security-context.ts";
import { kafkaReplication } from "./kafka-replication.ts";
import { postgresBaseline } from "./postgres-baseline.ts";
import { postgresHa } from "./postgres-ha.ts";
import { secretStoreCmk } from "./secret-store-cmk.ts";
import type { Rule } from "./types.ts";

export const rules: Rule[] = [
  // Kubernetes objects
  k8sMinReplicas,
  k8sPdbSettings,
  k8sPdbCoverage,
  k8sPodSpread,
  k8sProbes,
  k8sResources,
  k8sSecurityContext,
  k8sHostIsolation,
  k8sImageProvenance,
  k8sRequiredLabels,
  k8sNoSecretLiterals,
  k8sExposure,
  k8sNamespacePodSecurity,
  k8sDefaultDeny,
  k8sObservability,
  k8sAutoscaling,
  // Platform Helm releases and operators
  helmPinnedRelease,
  helmPrometheusRetention,
  helmLokiRetention,
  helmGatekeeper,
  kafkaReplication,
  // Cloud
  awsEksCluster,
  gcpGkeSecurity,
  gcpGkeRegional,
  azureAksSecurity,
  azureAksZones,
  secretStoreCmk,
  postgresBaseline,
  postgresHa,
  cloudTags,
];

/** The policy objects exactly as the pack registers them. */
export const policies = rules.map((r) => r.policy);

export function ruleById(id: string): Rule {
  const r = rules.find((x) => x.id === id);
  if (!r) throw new Error(`unknown rule ${id}`);
  return r;
}

export type { Category, Rule, RuleMeta } from "./types.ts";
