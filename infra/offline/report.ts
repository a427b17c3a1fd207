/** report.md: what a reviewer reads first — counts, validation, policy results, the graph. */
import type { StackConfig } from "../config.ts";
import type { InventoryResource } from "./inventory.ts";
import type { PlanResult } from "./plan.ts";

const LAYERS = ["cloud", "platform", "apps"] as const;

/** A resource's layer is the top-level component it sits under (llmops:cloud:*, llmops:platform:*, ...). */
export function layerOf(resource: InventoryResource, byUrn: Map<string, InventoryResource>): string {
  let top = resource;
  for (
    let parent = byUrn.get(top.parent ?? "");
    parent && parent.type !== "pulumi:pulumi:Stack";
    parent = byUrn.get(parent.parent ?? "")
  ) {
    top = parent;
  }
  if (top.type === "pulumi:pulumi:Stack") return "stack";
  return LAYERS.find((l) => top.type.startsWith(`llmops:${l}:`)) ?? "other";
}

const cell = (s: unknown) =>
  String(s ?? "")
    .replace(/\|/g, "\\|")
    .replace(/\n/g, " ");

export function renderReport(result: PlanResult, config: StackConfig): string {
  const { inventory, validation, policy } = result;
  const lines: string[] = [];
  const verdict = result.exitCode === 0 ? "PASS" : "FAIL";
  lines.push(`# Offline plan: ${inventory.project}/${inventory.stack} — ${verdict}`, "");
  lines.push(
    `cloud **${config.cloud}**, environment **${config.environment}**, region **${config.region}**, domain **${config.domain}**, ` +
      `Kubernetes ${config.kubernetesVersion}; ${inventory.resources.length} resources; planned in ${result.seconds} s.`,
    "",
  );

  lines.push("## Resources by layer", "", "| layer | resources | types |", "|---|---:|---:|");
  const byUrn = new Map(inventory.resources.map((r) => [r.urn, r]));
  const byLayer = new Map<string, { count: number; types: Set<string> }>();
  for (const r of inventory.resources) {
    const l = layerOf(r, byUrn);
    const e = byLayer.get(l) ?? { count: 0, types: new Set() };
    e.count++;
    e.types.add(r.type);
    byLayer.set(l, e);
  }
  for (const [l, e] of [...byLayer].sort()) lines.push(`| ${l} | ${e.count} | ${e.types.size} |`);
  lines.push("", "<details><summary>Resources by type</summary>", "", "| type | count |", "|---|---:|");
  const byType = new Map<string, number>();
  for (const r of inventory.resources) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
  for (const [t, n] of [...byType].sort()) lines.push(`| \`${t}\` | ${n} |`);
  lines.push("", "</details>", "");

  const invalid = validation.filter((v) => v.errors.length > 0);
  const unvalidated = validation.filter((v) => !v.schemaSource);
  lines.push(
    "## Kubernetes manifests",
    "",
    `${validation.length} objects; ${validation.length - invalid.length - unvalidated.length} valid against their schema, ` +
      `${invalid.length} invalid, ${unvalidated.length} without a schema.`,
    "",
  );
  if (invalid.length > 0) {
    lines.push("| object | errors |", "|---|---|");
    for (const v of invalid)
      lines.push(
        `| ${cell(`${v.manifest.kind}/${v.manifest.metadata?.name}`)} | ${cell(v.errors.join("; "))} |`,
      );
    lines.push("");
  }
  if (unvalidated.length > 0) {
    const kinds = [...new Set(unvalidated.map((v) => `${v.manifest.apiVersion} ${v.manifest.kind}`))].sort();
    lines.push(`No schema available for: ${kinds.map((k) => `\`${k}\``).join(", ")}.`, "");
  }

  lines.push(
    "## Policy pack",
    "",
    `environment **${config.environment}**: ${policy.rulesEvaluated} rules evaluated, ` +
      `${policy.mandatory} mandatory and ${policy.advisory} advisory violations.`,
    "",
  );
  if (policy.violations.length > 0) {
    lines.push("| rule | level | severity | resource | message | remediation |", "|---|---|---|---|---|---|");
    for (const v of policy.violations) {
      lines.push(
        `| ${cell(v.policy)} | ${v.enforcementLevel} | ${v.severity} | ${cell(v.urn ? `${v.type} ${v.name}` : "stack")} | ${cell(v.message)} | ${cell(v.remediation)} |`,
      );
    }
    lines.push("");
  }
  if (result.unmockedCalls.length > 0) {
    lines.push(
      "## Unmocked invokes",
      "",
      ...result.unmockedCalls.map((c) => `- \`${c}\` answered with {}`),
      "",
    );
  }

  lines.push(
    "## Dependency graph",
    "",
    "Components, and explicit `dependsOn` edges grouped by the dependent's kind (the install order).",
    "",
  );
  lines.push("```mermaid", "graph TD");
  const ids = new Map<string, string>();
  const id = (urn: string) => {
    if (!ids.has(urn)) ids.set(urn, `n${ids.size}`);
    return ids.get(urn)!;
  };
  const components = inventory.resources.filter((r) => r.type.startsWith("llmops:"));
  const label = (urn: string) =>
    inventory.resources.find((r) => r.urn === urn)?.name ?? urn.split("::").pop();
  for (const c of components) {
    lines.push(`  ${id(c.urn)}["${c.name}<br/>${c.type}"]`);
    if (c.parent && components.some((p) => p.urn === c.parent))
      lines.push(`  ${id(c.parent)} --> ${id(c.urn)}`);
  }
  // One edge per (dependency, dependent kind): "cert-manager -> ClusterIssuer x2" reads as the install
  // order and stays small enough for a renderer (hundreds of resource-level edges would not).
  const groups = new Map<string, { dep: string; kind: string; names: string[]; urns: string[] }>();
  for (const r of inventory.resources) {
    for (const dep of r.dependsOn) {
      const kind = r.type.split(":").pop() ?? r.type;
      const key = `${dep}|${kind}`;
      const g = groups.get(key) ?? { dep, kind, names: [], urns: [] };
      g.names.push(r.name);
      g.urns.push(r.urn);
      groups.set(key, g);
    }
  }
  const edges = new Set<string>();
  for (const [key, g] of groups) {
    // A single dependent is the resource's own node, so its other dependencies point at it too.
    const [target, node] =
      g.urns.length === 1
        ? [`${g.kind} ${g.names[0]}`, id(g.urns[0]!)]
        : [`${g.kind} x${g.names.length}`, id(key)];
    edges.add(`  ${id(g.dep)}["${label(g.dep)}"] -.->|dependsOn| ${node}["${target}"]`);
  }
  lines.push(...[...edges].sort(), "```", "");
  return `${lines.join("\n")}\n`;
}
