/**
 * What Helm does with a release's values before rendering: merge them over the chart's values.yaml
 * (maps merge key by key, anything else replaces, null deletes) and validate the result against the
 * chart's values.schema.json. Vendored per pinned version under test/infra/charts/<chart>-<version>/.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
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

const isEmpty = (v: unknown) =>
  (isMap(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);

/**
 * For a chart that ships no values.schema.json: the paths of `values` the chart neither declares in
 * its values.yaml nor reads in a template (`.Values.<path>`), i.e. keys Helm would silently ignore.
 * Below a default that is an empty map or list (extraEnv, resources, nodeSelector...), or a map a
 * template renders whole, anything goes.
 */
export function unknownChartKeys(chart: string, version: string, values: Values): string[] {
  const dir = join(DIR, `${chart}-${version}`);
  const defaults = (parse(readFileSync(join(dir, "values.yaml"), "utf8")) ?? {}) as Values;
  // Only values.yaml is vendored for some charts: then a key must be declared there. Strings of
  // values.yaml that hold template text (Tempo's `config`, which its ConfigMap renders through tpl)
  // read values like a template does.
  const embedded: string[] = [];
  const collect = (v: unknown) => {
    if (typeof v === "string" && v.includes("{{")) embedded.push(v);
    else if (isMap(v)) Object.values(v).forEach(collect);
  };
  collect(defaults);
  const templates = [
    ...(existsSync(join(dir, "templates"))
      ? readdirSync(join(dir, "templates")).map((f) => readFileSync(join(dir, "templates", f), "utf8"))
      : []),
    ...embedded,
  ].join("\n");
  const unknown: string[] = [];
  const quoted = (path: string) => path.replace(/\./g, "\\.");
  const reads = (path: string) => new RegExp(`\\.Values\\.${quoted(path)}(?![\\w-])`).test(templates);
  const wholesale = (path: string) =>
    new RegExp(`(toYaml|with) \\.Values\\.${quoted(path)}\\s`).test(templates);
  const walk = (ours: Values, theirs: unknown, path: string[]) => {
    for (const [k, v] of Object.entries(ours)) {
      const at = [...path, k];
      const declared = isMap(theirs) && k in theirs ? theirs[k] : undefined;
      if (declared === undefined && !reads(at.join("."))) {
        unknown.push(at.join("."));
        continue;
      }
      // A map the chart renders whole (`toYaml .Values.x`, `with .Values.x` ... `toYaml .`) takes any key.
      if (isEmpty(declared) || wholesale(at.join("."))) continue;
      if (isMap(v) && (declared === undefined || isMap(declared))) walk(v, declared, at);
    }
  };
  walk(values, defaults, []);
  return unknown;
}
