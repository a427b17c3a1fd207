/**
 * The control plane of a private GKE cluster reaches the nodes through a firewall GKE writes itself,
 * which admits only 443 and 10250. Webhooks and aggregated APIs on other ports (Istio's injector,
 * Gatekeeper, KEDA) would time out, and the injector fails closed: this rule opens the rest.
 * https://cloud.google.com/service-mesh/docs/private-cluster-open-port (the same for any webhook)
 */
import * as compute from "@pulumi/gcp/compute/index.js";
import { WEBHOOK_PORTS } from "../../names.ts";
import type { CloudContext } from "../context.ts";
import type { GcpNetwork } from "./network.ts";

/** Network tag on every node VM: the target of the rule (GKE's own tag is generated per cluster). */
export const nodeTag = (base: string) => `${base}-node`;

/** GKE's own rule already admits these from the control plane. */
const OPENED_BY_GKE: number[] = [443, 10250];

export function gcpControlPlaneFirewall(ctx: CloudContext, network: GcpNetwork): compute.Firewall {
  const { base, opts } = ctx;
  const ports = [...new Set(Object.values(WEBHOOK_PORTS))].filter((p) => !OPENED_BY_GKE.includes(p));
  return new compute.Firewall(
    `${base}-control-plane-webhooks`,
    {
      name: `${base}-control-plane-webhooks`,
      description: "GKE control plane to in-cluster webhooks and aggregated APIs",
      network: network.network.id,
      direction: "INGRESS",
      priority: 1000,
      sourceRanges: [network.ranges.master],
      targetTags: [nodeTag(base)],
      allows: [{ protocol: "tcp", ports: ports.sort((a, b) => a - b).map(String) }],
      logConfig: { metadata: "INCLUDE_ALL_METADATA" },
    },
    opts,
  );
}
