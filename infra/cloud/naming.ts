/** Names and tags every cloud derives from the stack, so resources of one stack are recognisable. */
import type { StackConfig } from "../config.ts";

/** "<project>-<stack>", e.g. llmops-prod: the cluster name and the prefix of every cloud name. */
export function baseName(config: Pick<StackConfig, "project" | "stack">): string {
  return `${config.project}-${config.stack}`;
}

/**
 * GCP labels allow only lowercase letters, digits, '_' and '-' (63 chars). Keys are already
 * validated that way by the config schema; values are free text and get folded into the alphabet.
 */
export function gcpLabels(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tags).map(([k, v]) => [
      k,
      v
        .toLowerCase()
        .replace(/[^a-z0-9_-]/g, "_")
        .slice(0, 63),
    ]),
  );
}

/** Tags plus a Name tag: the AWS console shows Name, and VPC pieces are otherwise indistinguishable. */
export function awsTags(tags: Record<string, string>, name: string, extra: Record<string, string> = {}) {
  return { ...tags, ...extra, Name: name };
}

/** "k=v,k=v": how cloud controllers take tags in a Service annotation. */
export function tagList(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
