/**
 * Offline policy engine: drives the exact policy objects the CrossGuard pack registers over a saved
 * inventory (resources.json of `npm run plan`), the way the Pulumi analyzer host does: per-policy
 * enforcement level and options from the pack config, ResourceValidationArgs / StackValidationArgs built
 * from the inventory records (props = inputs), notApplicable honoured.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import devConfig from "../config/dev.json" with { type: "json" };
import prodConfig from "../config/prod.json" with { type: "json" };
import { rules } from "../rules/index.ts";
import { checklistText, type Rule } from "../rules/types.ts";

export interface InventoryResource {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  provider?: string;
  dependsOn: string[];
  inputs: Record<string, any>;
}
export interface Inventory {
  project: string;
  stack: string;
  config: Record<string, unknown>;
  resources: InventoryResource[];
}
export interface Violation {
  policy: string;
  severity: "low" | "medium" | "high" | "critical";
  enforcementLevel: "mandatory" | "advisory";
  checklist: string;
  urn?: string;
  type?: string;
  name?: string;
  message: string;
  remediation: string;
}
export interface PolicyReport {
  env: "dev" | "prod";
  rulesEvaluated: number;
  violations: Violation[];
  mandatory: number;
  advisory: number;
}

export type PackConfig = Record<string, string | ({ enforcementLevel?: string } & Record<string, unknown>)>;

export const packConfigs: Record<"dev" | "prod", PackConfig> = {
  dev: devConfig as PackConfig,
  prod: prodConfig as PackConfig,
};

class NotApplicable extends Error {}
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason ?? "Policy does not apply");
};

/** Normalise one policy's entry of a --policy-pack-config file ("advisory" or {enforcementLevel, ...}). */
function entry(c: PackConfig, name: string): Record<string, unknown> {
  const v = c[name];
  if (v === undefined) return {};
  return typeof v === "string" ? { enforcementLevel: v } : { ...v };
}

/** The pack config for an environment with per-policy overrides merged on top. */
export function resolvePackConfig(env: "dev" | "prod", override?: object): PackConfig {
  const base = packConfigs[env];
  const out: PackConfig = {};
  const names = new Set([...Object.keys(base), ...Object.keys((override ?? {}) as PackConfig)]);
  for (const n of names) out[n] = { ...entry(base, n), ...entry((override ?? {}) as PackConfig, n) };
  return out;
}

/** Options a policy sees through getConfig(): schema defaults, then the pack config (minus enforcementLevel). */
export function policyOptions(rule: Rule, config: PackConfig): Record<string, unknown> {
  const { enforcementLevel: _e, ...props } = entry(config, rule.id);
  return { ...rule.defaults, ...props };
}

export function enforcementOf(rule: Rule, config: PackConfig): "mandatory" | "advisory" | "disabled" {
  const lvl = (entry(config, rule.id).enforcementLevel as string | undefined) ?? rule.policy.enforcementLevel;
  if (lvl === "disabled") return "disabled";
  if (lvl === "advisory") return "advisory";
  return "mandatory"; // "remediate" is reported as mandatory by the analyzer host too
}

/** isType as the analyzer host implements it: Pulumi type token of a resource class. */
function isTypeOf(type: string, cls: any): boolean {
  const t = cls?.__pulumiType;
  if (typeof t === "string") return t === type;
  return typeof cls?.isInstance === "function" && cls.isInstance({ __pulumiType: type }) === true;
}

/** Provider references are "<provider urn>::<provider id>"; accept a bare URN too. */
function lookupProvider(byUrn: Map<string, InventoryResource>, ref: string | undefined) {
  if (!ref) return undefined;
  const r = byUrn.get(ref) ?? byUrn.get(ref.slice(0, ref.lastIndexOf("::")));
  return r ? { type: r.type, props: r.inputs ?? {}, urn: r.urn, name: r.name } : undefined;
}

const OPTS = (parent?: string) => ({
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
  ...(parent ? { parent } : {}),
});

export async function checkInventory(
  inventory: Inventory,
  opts: { env: "dev" | "prod"; config?: object; only?: string[] },
): Promise<PolicyReport> {
  return checkInventoryWith(rules, inventory, opts);
}

/** The engine over any rule list (the pack's by default); exported for tests and extensions. */
export async function checkInventoryWith(
  ruleList: readonly Rule[],
  inventory: Inventory,
  opts: { env: "dev" | "prod"; config?: object; only?: string[] },
): Promise<PolicyReport> {
  const config = resolvePackConfig(opts.env, opts.config);
  const resources = inventory.resources ?? [];
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const stackTags: ReadonlyMap<string, string> = new Map([
    ["pulumi:project", inventory.project],
    ["pulumi:stack", inventory.stack],
  ]);
  const violations: Violation[] = [];
  let evaluated = 0;

  for (const rule of ruleList) {
    if (opts.only && !opts.only.includes(rule.id)) continue;
    const level = enforcementOf(rule, config);
    if (level === "disabled") continue;
    evaluated++;
    const options = policyOptions(rule, config);
    const getConfig = <T extends object>() => ({ ...options }) as T;
    const base = {
      policy: rule.id,
      severity: rule.severity,
      enforcementLevel: level,
      checklist: checklistText(rule),
      remediation: rule.remediation,
    } as const;
    const push = (message: string, urn?: string) => {
      const r = urn ? byUrn.get(urn) : undefined;
      violations.push({
        ...base,
        ...(urn ? { urn } : {}),
        ...(r ? { type: r.type, name: r.name } : {}),
        message,
      });
    };

    if (rule.kind === "resource") {
      const p = rule.policy as ResourceValidationPolicy;
      const validations = p.validateResource
        ? Array.isArray(p.validateResource)
          ? p.validateResource
          : [p.validateResource]
        : [];
      for (const r of resources) {
        const provider = lookupProvider(byUrn, r.provider);
        const args: ResourceValidationArgs = {
          type: r.type,
          props: r.inputs ?? {},
          urn: r.urn,
          name: r.name,
          opts: OPTS(r.parent),
          stackTags,
          isType: (cls: any) => isTypeOf(r.type, cls),
          asType: ((cls: any) => (isTypeOf(r.type, cls) ? r.inputs : undefined)) as any,
          getConfig,
          notApplicable,
          ...(provider ? { provider } : {}),
        };
        const report: ReportViolation = (message, urn) => push(message, urn ?? r.urn);
        for (const v of validations) {
          try {
            await v(args, report);
          } catch (e) {
            if (!(e instanceof NotApplicable)) throw wrap(rule.id, r.urn, e);
          }
        }
      }
    } else {
      const p = rule.policy as StackValidationPolicy;
      const prs = new Map<string, PolicyResource>();
      for (const r of resources) {
        const provider = lookupProvider(byUrn, r.provider);
        prs.set(r.urn, {
          type: r.type,
          props: r.inputs ?? {},
          urn: r.urn,
          name: r.name,
          opts: OPTS(r.parent),
          dependencies: [],
          propertyDependencies: {},
          isType: (cls: any) => isTypeOf(r.type, cls),
          asType: ((cls: any) => (isTypeOf(r.type, cls) ? r.inputs : undefined)) as any,
          ...(provider ? { provider } : {}),
        });
      }
      for (const r of resources) {
        const pr = prs.get(r.urn)!;
        const parent = r.parent ? prs.get(r.parent) : undefined;
        if (parent) pr.parent = parent;
        pr.dependencies = (r.dependsOn ?? []).map((d) => prs.get(d)).filter((d): d is PolicyResource => !!d);
      }
      const args: StackValidationArgs = { resources: [...prs.values()], stackTags, getConfig, notApplicable };
      try {
        await p.validateStack(args, (message, urn) => push(message, urn));
      } catch (e) {
        if (!(e instanceof NotApplicable)) throw wrap(rule.id, undefined, e);
      }
    }
  }

  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  return {
    env: opts.env,
    rulesEvaluated: evaluated,
    violations,
    mandatory,
    advisory: violations.length - mandatory,
  };
}

function wrap(policy: string, urn: string | undefined, e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  return new Error(`policy ${policy} failed${urn ? ` on ${urn}` : ""}: ${msg}`);
}

const SARIF_LEVEL = { mandatory: "error", advisory: "warning" } as const;

/**
 * SARIF 2.1.0: one rule per policy (with help text), one result per violation. Resources have no source
 * line, so each result names the resource as a logical location and anchors a physical location at
 * `artifactUri` (default Pulumi.yaml; the CLI passes Pulumi.<stack>.yaml): GitHub code scanning rejects
 * results without one.
 */
export function toSarif(report: PolicyReport, opts: { artifactUri?: string } = {}): object {
  const artifactUri = opts.artifactUri ?? "Pulumi.yaml";
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "llmops-policies",
            informationUri: "https://github.com/llmops/llmops-platform/tree/main/policies",
            version: "0.1.0",
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id,
              shortDescription: { text: r.description },
              fullDescription: { text: `${r.description} Checklist: ${checklistText(r)}` },
              help: {
                text: `${r.remediation}\n\nChecklist: ${checklistText(r)}`,
                markdown: `**Remediation:** ${r.remediation}\n\n**Checklist:** ${checklistText(r)}`,
              },
              defaultConfiguration: { level: "error" },
              properties: {
                category: r.category,
                severity: r.severity,
                tags: [r.category, r.severity],
                "security-severity": { low: "3.0", medium: "5.0", high: "7.5", critical: "9.5" }[r.severity],
              },
            })),
          },
        },
        properties: { env: report.env, rulesEvaluated: report.rulesEvaluated },
        results: report.violations.map((v) => ({
          ruleId: v.policy,
          ruleIndex: ruleIndex.get(v.policy) ?? -1,
          level: SARIF_LEVEL[v.enforcementLevel],
          message: { text: `${v.message} Remediation: ${v.remediation}` },
          partialFingerprints: { "llmopsPolicyViolation/v1": `${v.policy}|${v.urn ?? "stack"}|${v.message}` },
          locations: [
            {
              physicalLocation: { artifactLocation: { uri: artifactUri }, region: { startLine: 1 } },
              logicalLocations: [
                {
                  name: v.name ?? "stack",
                  fullyQualifiedName: v.urn ?? "stack",
                  kind: "resource",
                  ...(v.type ? { decoratedName: v.type } : {}),
                },
              ],
            },
          ],
          properties: {
            severity: v.severity,
            enforcementLevel: v.enforcementLevel,
            checklist: v.checklist,
            ...(v.urn ? { urn: v.urn } : {}),
            ...(v.type ? { type: v.type } : {}),
          },
        })),
      },
    ],
  };
}
