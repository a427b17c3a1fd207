import { RELEASE } from "./helm.ts";
import { resourceRule } from "./types.ts";

export const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export const helmPinnedRelease = resourceRule({
  id: "helm-pinned-release",
  description: "Helm releases pin an exact chart version and pull from an https (or oci) repository.",
  severity: "high",
  category: "security",
  checklist: [
    {
      seed: "core",
      item: 'Maintenance > Upgrading Components: "Helm Charts" (check available versions, upgrade with values)',
    },
    { seed: "costops", item: 'Best Practices: "Always use version tags" in production (not latest)' },
  ],
  remediation:
    "Set version to an exact chart version (e.g. 3.23.0, no ranges) and repositoryOpts.repo to the chart's " +
    "https:// repository (or chart: oci://...).",
  types: [RELEASE],
  check(props) {
    const out: string[] = [];
    const v = props.version;
    if (typeof v !== "string" || !EXACT_VERSION.test(v))
      out.push(`chart ${props.chart} version ${JSON.stringify(v ?? null)} is not an exact version.`);
    const chart = String(props.chart ?? "");
    const repo = props.repositoryOpts?.repo;
    if (chart.startsWith("oci://")) return out;
    if (typeof repo !== "string" || !repo.startsWith("https://"))
      out.push(
        `chart ${chart} comes from ${JSON.stringify(repo ?? null)}; use an https:// repository or oci://.`,
      );
    return out;
  },
});
