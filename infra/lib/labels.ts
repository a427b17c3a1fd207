/**
 * The label set docs/architecture.md requires on every Kubernetes object, built in one place so the platform
 * and apps layers (and the policy pack's k8s-required-labels rule) agree on it.
 */
import type { Environment } from "../config.ts";

/** The fixed part-of value: every object belongs to the one platform. */
export const PART_OF = "llmops";
/** Pulumi creates every object; Helm-created objects carry Helm's own value. */
export const MANAGED_BY = "pulumi";

export interface LabelArgs {
  /** app.kubernetes.io/name: what the thing is (kafka, cert-manager, router). */
  name: string;
  /** app.kubernetes.io/instance: this installation of it; defaults to name-environment. */
  instance?: string;
  /** app.kubernetes.io/version: the version of the software the object belongs to. */
  version: string;
  /** app.kubernetes.io/component: the role inside the architecture (broker, issuer, policy). */
  component: string;
  environment: Environment;
}

export type Labels = Record<string, string>;

/** The seven required labels. Label values are limited to 63 characters of [A-Za-z0-9_.-]. */
export function standardLabels(args: LabelArgs): Labels {
  return {
    "app.kubernetes.io/name": labelValue(args.name),
    "app.kubernetes.io/instance": labelValue(args.instance ?? `${args.name}-${args.environment}`),
    "app.kubernetes.io/version": labelValue(args.version),
    "app.kubernetes.io/component": labelValue(args.component),
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": MANAGED_BY,
    environment: args.environment,
  };
}

/** metadata for an object: explicit name and namespace (cluster-scoped objects pass none), labels merged. */
export function objectMeta(
  name: string,
  namespace: string | undefined,
  labels: Labels,
  extra: { labels?: Labels; annotations?: Record<string, string> } = {},
): { name: string; namespace?: string; labels: Labels; annotations?: Record<string, string> } {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { ...labels, ...extra.labels },
    ...(extra.annotations ? { annotations: extra.annotations } : {}),
  };
}

/** Coerces a string into a valid label value (versions such as "v1.21.1" pass unchanged). */
export function labelValue(value: string): string {
  const cleaned = value
    .replace(/[^A-Za-z0-9_.-]/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return cleaned || "none";
}
