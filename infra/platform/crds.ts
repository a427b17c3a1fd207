/**
 * CRDs that `helm upgrade` would never upgrade. Helm installs a chart's crds/ folder on first install
 * only, so a version bump in versions.ts would leave the old schemas in place: new fields are pruned
 * and new kinds never appear. For the two charts that ship their CRDs that way (Strimzi;
 * kube-prometheus-stack, whose own upgrade Job is an off-by-default preview), Pulumi applies the
 * chart's own CRD files at the pinned chart version as ordinary resources (server-side apply, which
 * also carries CRDs too large for a last-applied annotation) and the release skips them; a version
 * bump changes the URLs and so the CRDs.
 *
 * The other charts render their CRDs as templates or hooks, which `helm upgrade` does apply; their
 * values keep that switched on explicitly: cert-manager `crds.enabled`, KEDA `crds.install`,
 * external-secrets `installCRDs`, Istio base `base.enableCRDTemplates`, Gatekeeper `upgradeCRDs`
 * (a pre-upgrade hook). The Gateway API CRDs come from their release asset (gateway.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformContext } from "./context.ts";
import { CHARTS, type ChartKey } from "./versions.ts";

interface CrdSource {
  /** Folder of the chart's CRD files in its source repository at the release tag of a version. */
  folder: (version: string) => string;
  /** The files in that folder; checked against the chart at each bump (they change with releases). */
  files: string[];
}

const GITHUB_RAW = "https://raw.githubusercontent.com";

export const CHART_CRDS = {
  strimzi: {
    folder: (v) =>
      `${GITHUB_RAW}/strimzi/strimzi-kafka-operator/${v}/helm-charts/helm3/strimzi-kafka-operator/crds`,
    files: [
      "040-Crd-kafka.yaml",
      "041-Crd-kafkaconnect.yaml",
      "042-Crd-strimzipodset.yaml",
      "043-Crd-kafkatopic.yaml",
      "044-Crd-kafkauser.yaml",
      "045-Crd-kafkanodepool.yaml",
      "046-Crd-kafkabridge.yaml",
      "047-Crd-kafkaconnector.yaml",
      "048-Crd-kafkamirrormaker2.yaml",
      "049-Crd-kafkarebalance.yaml",
    ],
  },
  kubePrometheusStack: {
    folder: (v) =>
      `${GITHUB_RAW}/prometheus-community/helm-charts/kube-prometheus-stack-${v}/charts/kube-prometheus-stack/charts/crds/crds`,
    files: [
      "crd-alertmanagerconfigs.yaml",
      "crd-alertmanagers.yaml",
      "crd-podmonitors.yaml",
      "crd-probes.yaml",
      "crd-prometheusagents.yaml",
      "crd-prometheuses.yaml",
      "crd-prometheusrules.yaml",
      "crd-scrapeconfigs.yaml",
      "crd-servicemonitors.yaml",
      "crd-thanosrulers.yaml",
    ],
  },
} as const satisfies Partial<Record<ChartKey, CrdSource>>;

export type ChartWithCrds = keyof typeof CHART_CRDS;

/** The URLs of a chart's CRD files at its pinned version. */
export function crdFiles(chart: ChartWithCrds): string[] {
  const source: CrdSource = CHART_CRDS[chart];
  const folder = source.folder(CHARTS[chart].version);
  return source.files.map((file) => `${folder}/${file}`);
}

/** The chart's CRDs at its pinned version, as Pulumi-managed objects; the release must wait for them. */
export function installChartCrds(
  ctx: PlatformContext,
  chart: ChartWithCrds,
  dependsOn: pulumi.Resource[] = [],
): k8s.yaml.v2.ConfigGroup {
  return new k8s.yaml.v2.ConfigGroup(
    `${CHARTS[chart].chart}-crds`,
    { files: crdFiles(chart) },
    // Deleting a CRD deletes every object of its kind: never as a side effect of a refactor.
    { parent: ctx.parent, dependsOn, retainOnDelete: true },
  );
}
