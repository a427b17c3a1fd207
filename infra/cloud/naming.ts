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

/** GCP service account ids: 6-30 chars of [a-z0-9-]; the base is cut (never the purpose) to fit. */
export const GCP_ACCOUNT_ID_MAX = 30;
export function gcpAccountId(base: string, id: string): string {
  return `${base.slice(0, GCP_ACCOUNT_ID_MAX - id.length - 1).replace(/-+$/, "")}-${id}`;
}

/** Key Vault names are global, 3-24 chars, no "--": the base is cut to leave room for the suffix. */
export const AZURE_VAULT_NAME_MAX = 24;
export function azureVaultName(base: string, random: string): string {
  return `${base.slice(0, AZURE_VAULT_NAME_MAX - random.length - 1).replace(/-+$/, "")}-${random}`;
}
