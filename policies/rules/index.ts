/**
 * The rule set: every module in this directory that exports a Rule (one rule per file, named by its id).
 * The CrossGuard pack, the offline checker and Gatekeeper all use this list.
 *
 * Collected synchronously with tsx's require so the same loader works wherever the pack is loaded: as an
 * ESM entry under `node --import tsx`, through `require()` as the Pulumi policy-pack runner loads its main,
 * and under vitest (whose module runner does not see plain `require`). A top-level await would break the
 * `require()` path (ERR_REQUIRE_ASYNC_MODULE).
 */
import { readdirSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { require as tsxRequire } from "tsx/cjs/api";
import type { Rule } from "./types.ts";

const dir = fileURLToPath(new URL(".", import.meta.url));

/** Files that are not rule modules: this loader, the per-rule fixtures, and .gen/.d files. */
export const isRuleFile = (f: string) => /^[a-z0-9]+(-[a-z0-9]+)*\.ts$/.test(f) && f !== "index.ts";

function isRule(v: unknown): v is Rule {
  const r = v as Rule;
  return !!r && typeof r === "object" && typeof r.id === "string" && !!r.policy && !!r.kind;
}

/** Every rule, in file-name order, with the file that defines it. */
export const ruleFiles: { file: string; rule: Rule }[] = readdirSync(dir)
  .filter(isRuleFile)
  .sort()
  .flatMap((file) =>
    Object.values(tsxRequire(`./${file}`, import.meta.url) as Record<string, unknown>)
      .filter(isRule)
      .map((rule) => ({ file: basename(file, ".ts"), rule })),
  );

export const rules: Rule[] = ruleFiles.map((x) => x.rule);

/** The policy objects exactly as the pack registers them. */
export const policies = rules.map((r) => r.policy);

export function ruleById(id: string): Rule {
  const r = rules.find((x) => x.id === id);
  if (!r) throw new Error(`unknown rule ${id}`);
  return r;
}

export type { Category, Rule, RuleMeta } from "./types.ts";
