import { resourceRule } from "./types.ts";

/** GCP zones end in -a..-z (europe-west1-b); regions do not. */
export const isZone = (loc: unknown) => typeof loc === "string" && /-[a-z]$/.test(loc);

export const gcpGkeRegional = resourceRule({
  id: "gcp-gke-regional",
  description: "GKE clusters are regional (control plane and nodes across zones).",
  severity: "high",
  category: "reliability",
  checklist: [{ seed: "sentinel", item: 'High Availability: "Set up multi-zone deployment"' }],
  remediation:
    "Set location to a region (e.g. europe-west1), not a zone; optionally list nodeLocations in >= 2 zones.",
  types: ["gcp:container/cluster:Cluster"],
  check(props) {
    if (!props.location) return ["location is unset (the provider default zone makes a zonal cluster)."];
    if (isZone(props.location)) return [`location ${props.location} is a zone; use a region.`];
    const nl = Array.isArray(props.nodeLocations) ? props.nodeLocations : [];
    return nl.length === 1 ? ["nodeLocations lists a single zone."] : [];
  },
});
