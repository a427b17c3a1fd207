/**
 * npm run policy -- check <resources.json> [--env dev|prod] [--config FILE] [--sarif FILE] [--json]
 * npm run policy -- gatekeeper --env dev|prod [--namespace NS ...] [--config FILE]   (YAML to stdout)
 * Exit 0: no mandatory violation; 1: at least one; 2: bad usage or unreadable input.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { renderGatekeeper } from "./gatekeeper/index.ts";
import { checkInventory, type Inventory, type PolicyReport, toSarif } from "./offline/index.ts";
import { rules } from "./rules/index.ts";

const USAGE =
  "usage: npm run policy -- check <resources.json> [--env dev|prod] [--config PACK_CONFIG.json] [--sarif FILE] [--json]" +
  " | gatekeeper --env dev|prod [--namespace NS ...] [--config PACK_CONFIG.json]";

class UsageError extends Error {}

function parseArgs(argv: string[]) {
  const [cmd, ...rest] = argv;
  if (cmd === "-h" || cmd === "--help") return { help: true } as const;
  if (cmd !== "check") throw new UsageError(cmd ? `unknown command "${cmd}"` : "missing command");
  let file: string | undefined;
  let env: string | undefined;
  let sarif: string | undefined;
  let config: string | undefined;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : rest[++i];
      if (!v) throw new UsageError(`${a.split("=")[0]} needs a value`);
      return v;
    };
    if (a === "--env" || a.startsWith("--env=")) env = value();
    else if (a === "--sarif" || a.startsWith("--sarif=")) sarif = value();
    else if (a === "--config" || a.startsWith("--config=")) config = value();
    else if (a === "--json") json = true;
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else if (!file) file = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (!file) throw new UsageError("missing <resources.json>");
  if (env !== undefined && env !== "dev" && env !== "prod")
    throw new UsageError(`--env must be dev or prod, not "${env}"`);
  return { help: false, file, env: env as "dev" | "prod" | undefined, sarif, config, json } as const;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A --policy-pack-config style file: {"<policy>": "advisory" | {enforcementLevel?, ...options}}. */
function readPackConfig(file: string): object {
  const cfg = readJson(file);
  if (!cfg || typeof cfg !== "object" || Array.isArray(cfg))
    throw new UsageError(`${file} is not a policy pack config object`);
  const known = new Set(rules.map((r) => r.id));
  for (const [k, v] of Object.entries(cfg)) {
    if (!known.has(k)) throw new UsageError(`${file}: unknown policy "${k}"`);
    const level = typeof v === "string" ? v : (v as any)?.enforcementLevel;
    if (level !== undefined && !["advisory", "mandatory", "disabled", "remediate"].includes(level))
      throw new UsageError(`${file}: ${k} has invalid enforcementLevel "${level}"`);
  }
  return cfg;
}

function readInventory(file: string): Inventory {
  const inv: any = readJson(file);
  if (!inv || typeof inv !== "object" || !Array.isArray(inv.resources))
    throw new UsageError(
      `${file} is not an inventory (expected {"project","stack","config","resources":[...]})`,
    );
  for (const [i, r] of inv.resources.entries())
    if (!r || typeof r.urn !== "string" || typeof r.type !== "string")
      throw new UsageError(`${file}: resources[${i}] has no urn/type`);
  return {
    project: inv.project ?? "",
    stack: inv.stack ?? "",
    config: inv.config ?? {},
    resources: inv.resources,
  };
}

export function formatReport(report: PolicyReport): string {
  const lines: string[] = [];
  for (const v of report.violations) {
    const tag = v.enforcementLevel === "mandatory" ? "MANDATORY" : "advisory";
    lines.push(`[${tag}] ${v.policy} (${v.severity})`);
    lines.push(
      `  resource:    ${v.urn ?? "(stack)"}${v.type ? `  type=${v.type}` : ""}${v.name ? `  name=${v.name}` : ""}`,
    );
    lines.push(`  message:     ${v.message}`);
    lines.push(`  remediation: ${v.remediation}`);
  }
  lines.push(
    `policy check (${report.env}): ${report.rulesEvaluated} rules, ${report.mandatory} mandatory and ` +
      `${report.advisory} advisory violation(s)`,
  );
  return lines.join("\n");
}

/** Renders the Gatekeeper ConstraintTemplates + Constraints as multi-document YAML. */
function gatekeeper(argv: string[]): string {
  let env: string | undefined;
  let config: string | undefined;
  const namespaces: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (!v) throw new UsageError(`${a.split("=")[0]} needs a value`);
      return v;
    };
    if (a === "--env" || a.startsWith("--env=")) env = value();
    else if (a === "--namespace" || a.startsWith("--namespace=")) namespaces.push(value());
    else if (a === "--config" || a.startsWith("--config=")) config = value();
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (env !== "dev" && env !== "prod") throw new UsageError("gatekeeper needs --env dev|prod");
  const objs = renderGatekeeper({
    env,
    ...(namespaces.length ? { namespaces } : {}),
    ...(config ? { config: readPackConfig(config) } : {}),
  });
  return objs.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}

export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    if (argv[0] === "gatekeeper") {
      process.stdout.write(gatekeeper(argv.slice(1)));
      return 0;
    }
    args = parseArgs(argv);
    if (args.help) {
      console.log(USAGE);
      return 0;
    }
    const inv = readInventory(args.file);
    const cfgEnv = inv.config?.environment;
    const env = args.env ?? (cfgEnv === "dev" || cfgEnv === "prod" ? cfgEnv : undefined);
    if (!env)
      throw new UsageError(
        `no --env given and inventory config.environment is ${JSON.stringify(cfgEnv ?? null)}`,
      );
    const config = args.config ? readPackConfig(args.config) : undefined;
    const report = await checkInventory(inv, { env, ...(config ? { config } : {}) });
    if (args.sarif) {
      try {
        const artifactUri = inv.stack ? `Pulumi.${inv.stack}.yaml` : "Pulumi.yaml";
        writeFileSync(args.sarif, `${JSON.stringify(toSarif(report, { artifactUri }), null, 2)}\n`);
      } catch (e) {
        throw new UsageError(
          `cannot write ${args.sarif}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
    }
    console.log(args.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.mandatory > 0 ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`policy: ${e.message} (${USAGE})`);
      return 2;
    }
    console.error(`policy: ${(e as Error).message}`);
    return 2;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("policies/cli.ts")) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
