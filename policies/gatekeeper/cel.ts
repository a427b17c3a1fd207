/**
 * A small evaluator for the rendered K8sNativeValidation templates (what Gatekeeper does at admission):
 * kind/namespace matching from the Constraint, variables in order, then every validation. Used by the tests
 * to prove the CEL agrees with the CrossGuard rules on the same fixtures. Values are converted the way the
 * API server types JSON for CEL: integers become CEL ints, objects become maps.
 */
import { type CelValue, celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";

export function toCel(v: unknown): any {
  if (Array.isArray(v)) return v.map(toCel);
  if (v && typeof v === "object") return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return v;
}

export interface CelResult {
  matched: boolean;
  allowed: boolean;
  messages: string[];
}

const env = celEnv({ funcs: strings });
const cache = new Map<string, ReturnType<typeof plan>>();
function compile(expr: string) {
  let p = cache.get(expr);
  if (!p) {
    p = plan(env, parse(expr));
    cache.set(expr, p);
  }
  return p;
}

function evalExpr(expr: string, bindings: Record<string, any>): CelValue {
  const r = compile(expr)(bindings);
  if (isCelError(r)) throw new Error(`CEL error in ${expr.slice(0, 80)}...: ${r.message}`);
  return r as CelValue;
}

function matches(constraint: Record<string, any>, obj: Record<string, any>): boolean {
  const [group, version] = String(obj.apiVersion ?? "").includes("/")
    ? obj.apiVersion.split("/")
    : ["", obj.apiVersion];
  void version;
  const m = constraint.spec?.match ?? {};
  const kindOk = (m.kinds ?? []).some(
    (k: any) =>
      (k.apiGroups.includes("*") || k.apiGroups.includes(group)) &&
      (k.kinds.includes("*") || k.kinds.includes(obj.kind)),
  );
  if (!kindOk) return false;
  // As Gatekeeper: a Namespace is matched by its own name; other cluster-scoped objects are in no namespace,
  // so namespaces and excludedNamespaces never exclude them.
  const isNs = obj.kind === "Namespace" && group === "";
  const ns = isNs ? obj.metadata?.name : obj.metadata?.namespace;
  if (ns !== undefined && m.namespaces && !m.namespaces.includes(ns)) return false;
  if (ns !== undefined && m.excludedNamespaces?.includes(ns)) return false;
  const want = m.labelSelector?.matchLabels ?? {};
  const have = obj.metadata?.labels ?? {};
  if (!Object.keys(want).every((k) => have[k] === want[k])) return false;
  return true;
}

/** Evaluate one object against a ConstraintTemplate + Constraint pair. */
export function evaluate(
  template: Record<string, any>,
  constraint: Record<string, any>,
  obj: Record<string, any>,
): CelResult {
  if (!matches(constraint, obj)) return { matched: false, allowed: true, messages: [] };
  const code = template.spec.targets[0].code.find((c: any) => c.engine === "K8sNativeValidation");
  const object = toCel(obj);
  const vars = new Map<string, any>([
    ["params", toCel(constraint.spec?.parameters ?? {})],
    ["anyObject", object],
  ]);
  const bindings = () => ({ object, oldObject: null, variables: vars, params: vars.get("params") });
  // Kubernetes evaluates composition variables lazily: one that cannot be evaluated for this object only
  // matters if an expression uses it. Leave such variables unbound so a use fails with "no such key".
  for (const v of code.source.variables ?? []) {
    const r = compile(v.expression)(bindings());
    if (!isCelError(r)) vars.set(v.name, r);
  }
  const messages: string[] = [];
  for (const val of code.source.validations) {
    const ok = evalExpr(val.expression, bindings());
    if (ok !== true) {
      messages.push(
        val.messageExpression
          ? String(evalExpr(val.messageExpression, bindings()))
          : (val.message ?? "denied"),
      );
    }
  }
  return { matched: true, allowed: messages.length === 0, messages };
}
