/**
 * Turns Pulumi.yaml + Pulumi.<stack>.yaml + `-c key=value` overrides into the config the
 * Pulumi engine would hand the program: "project:key" -> string, plus the list of secret keys.
 *
 * Secure values cannot be decrypted offline, so each becomes a recognisable placeholder; the
 * placeholders are also the redaction list for everything the plan writes.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS } from "../config.ts";

/** Bad usage or bad config: the CLI prints the message alone and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Namespaces of the providers this program uses; their keys pass through unvalidated. */
const PROVIDER_NAMESPACES = ["aws", "gcp", "azure-native", "kubernetes", "random"];

export interface StackFiles {
  project: string;
  stack: string;
  /** "project:key" -> value as the engine passes it (JSON text for structured values). */
  config: Record<string, string>;
  secretKeys: string[];
  /** Plaintext placeholders standing in for secrets, to be redacted from every output. */
  secretValues: string[];
}

export function availableStacks(root: string): string[] {
  return readdirSync(root)
    .map((f) => /^Pulumi\.([\w.-]+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export function readProjectName(root: string): string {
  const file = join(root, "Pulumi.yaml");
  if (!existsSync(file)) throw new UsageError(`no Pulumi.yaml in ${root}`);
  const name = (parse(readFileSync(file, "utf8")) as { name?: unknown })?.name;
  if (typeof name !== "string") throw new UsageError("Pulumi.yaml has no project name");
  return name;
}

/** Which `-c` keys a program accepts: its own keys, and the provider namespaces passed through. */
export interface KnownKeys {
  project: readonly string[];
  /** Provider namespaces whose keys pass through unvalidated; "any" accepts every other namespace. */
  providers: readonly string[] | "any";
}

const PLATFORM_KEYS: KnownKeys = { project: CONFIG_KEYS, providers: PROVIDER_NAMESPACES };

export function loadStackFiles(
  root: string,
  stack: string,
  overrides: string[],
  known: KnownKeys = PLATFORM_KEYS,
): StackFiles {
  const project = readProjectName(root);
  if (!/^[\w.-]+$/.test(stack)) throw new UsageError(`invalid stack name '${stack}'`);
  const file = [`Pulumi.${stack}.yaml`, `Pulumi.${stack}.yml`].map((f) => join(root, f)).find(existsSync);
  if (!file) {
    throw new UsageError(
      `unknown stack '${stack}': no Pulumi.${stack}.yaml (available: ${availableStacks(root).join(", ")})`,
    );
  }
  let doc: { config?: Record<string, unknown> };
  try {
    doc = (parse(readFileSync(file, "utf8")) ?? {}) as typeof doc;
  } catch (err) {
    throw new UsageError(`${file} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const config: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const secretValues: string[] = [];
  for (const [fullKey, value] of Object.entries(doc.config ?? {})) {
    const placeholders: string[] = [];
    const plain = replaceSecure(value, fullKey, placeholders);
    config[fullKey] = typeof plain === "string" ? plain : JSON.stringify(plain);
    if (placeholders.length > 0) {
      secretKeys.add(fullKey);
      secretValues.push(...placeholders);
    }
  }
  for (const override of overrides) {
    const eq = override.indexOf("=");
    if (eq <= 0) throw new UsageError(`-c expects key=value, got '${override}'`);
    const key = override.slice(0, eq);
    const fullKey = key.includes(":") ? key : `${project}:${key}`;
    const [ns, bare] = fullKey.split(":", 2) as [string, string];
    const accepted =
      ns === project
        ? known.project.includes(bare)
        : known.providers === "any" || known.providers.includes(ns);
    if (!accepted) throw new UsageError(`unknown config key '${key}' (known: ${known.project.join(", ")})`);
    config[fullKey] = override.slice(eq + 1);
    // An override given on the command line is plaintext by definition.
    secretKeys.delete(fullKey);
  }
  return { project, stack, config, secretKeys: [...secretKeys], secretValues };
}

/** Replaces `{secure: ...}` leaves with deterministic placeholders, collecting them. */
function replaceSecure(value: unknown, path: string, found: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => replaceSecure(v, `${path}[${i}]`, found));
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (typeof obj.secure === "string" && Object.keys(obj).length === 1) {
      // Long enough for the longest minimum a secret field has (a 32-character signing key).
      const id = createHash("sha256").update(path).digest("hex").slice(0, 24);
      // Shaped like the real value where the schema checks shape (webhook URLs).
      const placeholder = /url$/i.test(path)
        ? `https://secret.invalid/plan-secret-${id}`
        : `plan-secret-${id}`;
      found.push(placeholder);
      return placeholder;
    }
    return Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [k, replaceSecure(v, `${path}.${k}`, found)]),
    );
  }
  return value;
}
