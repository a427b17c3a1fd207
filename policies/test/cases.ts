/**
 * Every rule's good and bad fixtures, collected from rules/<id>.fixtures.ts (beside the rule), for the
 * CrossGuard tests, the Gatekeeper CEL parity tests and the analyzer test.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { InventoryResource } from "../offline/index.ts";
import type { RuleFixtures } from "./builders.ts";

export interface Case {
  rule: string;
  name: string;
  resources: InventoryResource[];
  context: InventoryResource[];
  options?: Record<string, unknown>;
  /** Expected: does the rule report a violation? */
  fails: boolean;
}

const dir = new URL("../rules/", import.meta.url);
export const fixtureFiles = readdirSync(fileURLToPath(dir))
  .filter((f) => f.endsWith(".fixtures.ts"))
  .sort();

export const cases: Case[] = (
  await Promise.all(
    fixtureFiles.map(async (f) => {
      const rule = f.slice(0, -".fixtures.ts".length);
      const { fixtures } = (await import(new URL(f, dir).href)) as { fixtures: RuleFixtures };
      return [
        ...fixtures.good.map((x) => ({ rule, context: [], ...x, fails: false })),
        ...fixtures.bad.map((x) => ({ rule, context: [], ...x, fails: true })),
      ];
    }),
  )
).flat();
