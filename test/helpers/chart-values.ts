/**
 * What Helm does with a release's values before rendering: merge them over the chart's values.yaml
 * (maps merge key by key, anything else replaces, null deletes) and validate the result against the
 * chart's values.schema.json. Vendored per pinned version under test/infra/charts/<chart>-<version>/.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { ROOT } from "./plan.ts";

const DIR = join(ROOT, "test/infra/charts");

type Values = Record<string, unknown>;
const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);

/** Helm's coalescing of user values over chart defaults. */
export function helmMerge(defaults: Values, values: Values): Values {
  const out: Values = { ...defaults };
  for (const [k, v] of Object.entries(values)) {
    if (v === null) delete out[k];
    else if (isMap(v) && isMap(out[k])) out[k] = helmMerge(out[k] as Values, v);
    else out[k] = v;
  }
  return out;
}

/** Schema errors of `values` for the chart at that version (empty: Helm accepts them). */
export function chartValueErrors(chart: string, version: string, values: Values): string[] {
  const dir = join(DIR, `${chart}-${version}`);
  const defaults = (parse(readFileSync(join(dir, "values.yaml"), "utf8")) ?? {}) as Values;
  const schema = JSON.parse(readFileSync(join(dir, "values.schema.json"), "utf8"));
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const check = ajv.compile(schema);
  const merged = helmMerge(defaults, values);
  return check(merged)
    ? []
    : (check.errors ?? []).map(
        (e) => `${e.instancePath || "/"} ${e.message ?? "invalid"} ${JSON.stringify(e.params)}`,
      );
}

/**
 * Paths of `values` the chart's values.yaml does not know, for charts that ship no schema (Helm
 * ignores an unknown key silently, so a typo'd or moved key is a setting that never applies). Below
 * a key whose default is an empty map or list (nodeSelector, podLabels, tolerations...) anything goes.
 */
export function unknownValuePaths(chart: string, version: string, values: Values): string[] {
  const defaults = (parse(readFileSync(join(DIR, `${chart}-${version}`, "values.yaml"), "utf8")) ??
    {}) as Values;
  const out: string[] = [];
  const walk = (given: Values, known: Values, path: string) => {
    for (const [k, v] of Object.entries(given)) {
      const here = path ? `${path}.${k}` : k;
      if (!(k in known)) out.push(here);
      else if (isMap(v) && isMap(known[k]) && Object.keys(known[k] as Values).length > 0)
        walk(v, known[k] as Values, here);
    }
  };
  walk(values, defaults, "");
  return out;
}
