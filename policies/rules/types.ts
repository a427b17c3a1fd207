import type {
  EnforcementLevel,
  PolicyConfigSchema,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

/**
 * security baseline: mandatory in every environment.
 * reliability: the production (HA / operability) checklist, mandatory in prod and advisory in dev.
 */
export type Category = "security" | "reliability";

/** Which guide in the seed set a rule comes from (the production checklists). */
export const SEEDS = {
  sentinel: "000_8bcec1f1a76438f6 (LLM-Sentinel Deployment Guide)",
  core: "001_21bc39bd10007564 (LLM Analytics Hub - Kubernetes Core Infrastructure)",
  trace: "002_0d032c5b8024c700 (LLMTrace Kubernetes Deployment Guide)",
  costops: "003_c70c4b56e4fc20a4 (LLM Cost Ops Kubernetes Deployment Guide)",
  router: "004_202b1d8fa632330c (LLM Runner Router Kubernetes Deployment)",
} as const;

export interface ChecklistRef {
  seed: keyof typeof SEEDS;
  /** Checklist section and item, quoted from the guide. */
  item: string;
}

export interface RuleMeta {
  /** Policy name, stable id used in config files, SARIF ruleId and Gatekeeper constraint names. */
  id: string;
  description: string;
  severity: Severity;
  category: Category;
  checklist: ChecklistRef[];
  remediation: string;
}

/** A CEL rendering of a single-object Kubernetes rule (Gatekeeper K8sNativeValidation). */
export interface GatekeeperSpec {
  /** CamelCase constraint kind, e.g. LlmopsProbes. */
  kind: string;
  match: { apiGroups: string[]; kinds: string[] }[];
  /** openAPIV3Schema properties of the constraint parameters. */
  parameters: Record<string, unknown>;
  /** Parameters rendered from this rule's resolved policy config. */
  params(config: Record<string, any>): Record<string, unknown>;
  /**
   * Match only objects labelled part of the stack (app.kubernetes.io/part-of). Gatekeeper matches cluster-scoped
   * objects whatever the constraint's namespaces say, so a rule over cluster-scoped kinds would otherwise judge
   * the cluster's own and the platform charts' objects too.
   */
  ownedOnly?: boolean;
  variables?: { name: string; expression: string }[];
  validations: { expression: string; messageExpression?: string; message?: string }[];
}

export interface Rule extends RuleMeta {
  kind: "resource" | "stack";
  policy: ResourceValidationPolicy | StackValidationPolicy;
  /** Default rule options (also the configSchema defaults). */
  defaults: Record<string, unknown>;
  gatekeeper?: GatekeeperSpec;
}

type Schema = PolicyConfigSchema["properties"];

/** The metadata a rule carries beside its policy object (the definition also holds check logic). */
function ruleMeta(def: RuleMeta): RuleMeta {
  const { id, description, severity, category, checklist, remediation } = def;
  return { id, description, severity, category, checklist, remediation };
}

function basePolicy(meta: RuleMeta, schema: Schema | undefined, defaults: Record<string, unknown>) {
  const props: Schema = {};
  for (const [k, v] of Object.entries(schema ?? {})) {
    props[k] = k in defaults ? { ...v, default: defaults[k] as any } : v;
  }
  return {
    name: meta.id,
    description: meta.description,
    severity: meta.severity,
    // Strict by default; config/dev.json relaxes the reliability checklist to advisory.
    enforcementLevel: "mandatory" as EnforcementLevel,
    remediationSteps: meta.remediation,
    tags: [meta.category],
    ...(Object.keys(props).length ? { configSchema: { properties: props } } : {}),
  };
}

/** Resolved options: schema defaults overlaid with the pack config for this policy. */
export function optionsOf<T>(defaults: T, args: { getConfig<C extends object>(): C }): T {
  const cfg = (args.getConfig<Record<string, unknown>>() ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(cfg)) if (k !== "enforcementLevel" && v !== undefined) out[k] = v;
  return out as T;
}

export interface ResourceRuleDef<O> extends RuleMeta {
  /** Pulumi type tokens this rule looks at. */
  types: readonly string[] | ((type: string) => boolean);
  options?: O;
  configSchema?: Schema;
  gatekeeper?: GatekeeperSpec;
  /** Return violation messages for one resource. */
  check(props: Record<string, any>, opts: O, args: ResourceValidationArgs): string[];
}

export function resourceRule<O extends Record<string, unknown> = Record<string, never>>(
  def: ResourceRuleDef<O>,
): Rule {
  const defaults = (def.options ?? {}) as O;
  const types = def.types;
  const applies = typeof types === "function" ? types : (t: string) => types.includes(t);
  const policy: ResourceValidationPolicy = {
    ...basePolicy(def, def.configSchema, defaults),
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      if (!applies(args.type)) return;
      const opts = optionsOf(defaults, args);
      for (const msg of def.check(args.props ?? {}, opts, args)) report(msg);
    },
  };
  return {
    ...ruleMeta(def),
    kind: "resource",
    policy,
    defaults,
    ...(def.gatekeeper ? { gatekeeper: def.gatekeeper } : {}),
  };
}

export interface StackRuleDef<O> extends RuleMeta {
  options?: O;
  configSchema?: Schema;
  /** Return violations as [urn, message] pairs. */
  check(args: StackValidationArgs, opts: O): { urn?: string; message: string }[];
}

export function stackRule<O extends Record<string, unknown> = Record<string, never>>(
  def: StackRuleDef<O>,
): Rule {
  const defaults = (def.options ?? {}) as O;
  const policy: StackValidationPolicy = {
    ...basePolicy(def, def.configSchema, defaults),
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      const opts = optionsOf(defaults, args);
      for (const v of def.check(args, opts)) report(v.message, v.urn);
    },
  };
  return {
    ...ruleMeta(def),
    kind: "stack",
    policy,
    defaults,
  };
}

export function checklistText(rule: Pick<RuleMeta, "checklist">): string {
  return rule.checklist.map((c) => `${SEEDS[c.seed]}: ${c.item}`).join("; ");
}
