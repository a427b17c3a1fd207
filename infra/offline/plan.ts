/**
 * The offline plan: stack files -> config -> program under mocks -> inventory, manifests,
 * schema validation, policy evaluation -> resources.json, manifests/, report.md, report.sarif.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { ConfigError, decode, parseStackConfig } from "../config.ts";
import { validateStack } from "../validate.ts";
import { capture } from "./capture.ts";
import { type Inventory, REDACTED } from "./inventory.ts";
import { kubernetesObjects, manifestPath, type ValidationResult, validateManifests } from "./manifests.ts";
import { evaluatePolicies, type PolicyOutcome } from "./policy.ts";
import { renderReport } from "./report.ts";
import { loadStackFiles, UsageError } from "./stackfile.ts";

export interface PlanOptions {
  root: string;
  stack: string;
  overrides: string[];
  outDir: string;
  log: (line: string) => void;
}

export interface PlanResult {
  outDir: string;
  inventory: Inventory;
  validation: ValidationResult[];
  policy: PolicyOutcome;
  unmockedCalls: string[];
  seconds: number;
  exitCode: 0 | 1;
}

export async function plan(opts: PlanOptions): Promise<PlanResult> {
  const started = performance.now();
  const files = loadStackFiles(opts.root, opts.stack, opts.overrides);
  const prefix = `${files.project}:`;
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(files.config))
    if (k.startsWith(prefix)) raw[k.slice(prefix.length)] = decode(v);
  const secretKeys = new Set(
    files.secretKeys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)),
  );

  // Validate before running anything so bad config is a usage error (exit 2), not a crash.
  let parsed: ReturnType<typeof parseStackConfig>;
  try {
    parsed = validateStack(parseStackConfig(raw, { project: files.project, stack: opts.stack, secretKeys }));
  } catch (err) {
    if (err instanceof ConfigError)
      throw new UsageError(`invalid config for stack '${opts.stack}': ${err.problems.join("; ")}`);
    throw err;
  }
  opts.log(
    `plan: stack ${opts.stack} (${parsed.cloud}, ${parsed.environment}, ${parsed.region}): running the program under mocks`,
  );

  const secrets = new Set(files.secretValues);
  const captured = await capture({
    project: files.project,
    stack: opts.stack,
    config: files.config,
    secretKeys: files.secretKeys,
    programPath: join(opts.root, "infra", "index.ts"),
    mockContext: {
      region: parsed.region,
      gcpProject: parsed.gcp?.project ?? "plan-project",
      addSecret: (v) => secrets.add(v),
    },
  });
  const redact = redactor(secrets);
  const inventory: Inventory = {
    project: files.project,
    stack: opts.stack,
    config: redact(raw) as Record<string, unknown>,
    resources: captured.resources.map((r) => ({ ...r, inputs: redact(r.inputs) as Record<string, any> })),
  };
  opts.log(
    `plan: captured ${inventory.resources.length} resources in ${secondsSince(started)} s; validating manifests`,
  );

  const objects = kubernetesObjects(inventory.resources);
  const validation = await validateManifests(objects);
  const invalid = validation.filter((v) => v.errors.length > 0);
  opts.log(
    `plan: ${objects.length} Kubernetes objects, ${invalid.length} invalid; evaluating the policy pack`,
  );

  const policy = await evaluatePolicies(inventory, parsed.environment);
  const exitCode = invalid.length > 0 || policy.mandatory > 0 ? 1 : 0;

  rmSync(opts.outDir, { recursive: true, force: true });
  mkdirSync(join(opts.outDir, "manifests"), { recursive: true });
  writeFileSync(join(opts.outDir, "resources.json"), `${JSON.stringify(inventory, null, 2)}\n`);
  for (const { manifest } of validation) {
    const file = join(opts.outDir, "manifests", manifestPath(manifest));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, stringify(manifest, { lineWidth: 0 }));
  }
  const seconds = Number(secondsSince(started));
  const result: PlanResult = {
    outDir: opts.outDir,
    inventory,
    validation,
    policy,
    unmockedCalls: captured.unmockedCalls,
    seconds,
    exitCode,
  };
  writeFileSync(join(opts.outDir, "report.md"), renderReport(result, parsed));
  writeFileSync(join(opts.outDir, "report.sarif"), `${JSON.stringify(policy.sarif, null, 2)}\n`);
  opts.log(
    `plan: wrote ${opts.outDir} in ${seconds} s: ${policy.mandatory} mandatory and ${policy.advisory} advisory policy violations, ${invalid.length} invalid manifests`,
  );
  return result;
}

export function secondsSince(start: number): string {
  return ((performance.now() - start) / 1000).toFixed(1);
}

/** Replaces every occurrence of a known secret inside any string with "[secret]". */
export function redactor(secrets: Set<string>): (value: unknown) => unknown {
  const list = [...secrets].filter((s) => s.length >= 8).sort((a, b) => b.length - a.length);
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") return list.reduce((s, secret) => s.split(secret).join(REDACTED), value);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(v)]),
      );
    }
    return value;
  };
  return walk;
}
