/**
 * The offline plan of another Pulumi program in this repository (a folder with its own Pulumi.yaml,
 * such as deployment/): the same stack files, overrides, mocks, capture and redaction as the
 * platform's plan, without what only the platform has (its config schema, Kubernetes manifests,
 * the policy pack). Writes resources.json and report.md.
 *
 * Such a program validates its own config when it starts. An error that carries `problems` (one
 * line per key, like infra/config.ts's ConfigError) is bad config: a UsageError, exit 2.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { decode } from "../config.ts";
import { capture } from "./capture.ts";
import type { Inventory } from "./inventory.ts";
import { redactor, secondsSince } from "./plan.ts";
import { loadStackFiles, UsageError } from "./stackfile.ts";

export interface ProgramPlanOptions {
  /** The program's folder (holds Pulumi.yaml and Pulumi.<stack>.yaml). */
  dir: string;
  stack: string;
  overrides: string[];
  outDir: string;
  log: (line: string) => void;
}

export interface ProgramPlanResult {
  outDir: string;
  inventory: Inventory;
  unmockedCalls: string[];
  seconds: number;
  exitCode: 0;
}

interface ProjectFile {
  name: string;
  main: string;
  declaredKeys: string[];
}

function readProject(dir: string): ProjectFile {
  const file = join(dir, "Pulumi.yaml");
  if (!existsSync(file)) throw new UsageError(`no Pulumi.yaml in ${dir}`);
  const doc = (parse(readFileSync(file, "utf8")) ?? {}) as {
    name?: unknown;
    main?: unknown;
    config?: Record<string, unknown>;
  };
  if (typeof doc.name !== "string") throw new UsageError(`${file} has no project name`);
  const prefix = `${doc.name}:`;
  return {
    name: doc.name,
    main: typeof doc.main === "string" ? doc.main : "index.ts",
    declaredKeys: Object.keys(doc.config ?? {}).map((k) =>
      k.startsWith(prefix) ? k.slice(prefix.length) : k,
    ),
  };
}

export async function planProgram(opts: ProgramPlanOptions): Promise<ProgramPlanResult> {
  const started = performance.now();
  const project = readProject(opts.dir);
  // Keys a program accepts: what its Pulumi.yaml declares and what its stack file sets.
  const asWritten = loadStackFiles(opts.dir, opts.stack, [], { project: [], providers: "any" });
  const fromStackFile = Object.keys(asWritten.config)
    .filter((k) => k.startsWith(`${project.name}:`))
    .map((k) => k.slice(project.name.length + 1));
  const files = loadStackFiles(opts.dir, opts.stack, opts.overrides, {
    project: [...new Set([...project.declaredKeys, ...fromStackFile])].sort(),
    providers: "any",
  });
  opts.log(`plan: program ${project.name}, stack ${opts.stack}: running ${project.main} under mocks`);

  const secrets = new Set(files.secretValues);
  let captured: Awaited<ReturnType<typeof capture>>;
  try {
    captured = await capture({
      project: files.project,
      stack: opts.stack,
      config: files.config,
      secretKeys: files.secretKeys,
      programPath: join(opts.dir, project.main),
      mockContext: { region: "plan-region", gcpProject: "plan-project", addSecret: (v) => secrets.add(v) },
    });
  } catch (err) {
    const problems = (err as { problems?: unknown }).problems;
    if (Array.isArray(problems))
      throw new UsageError(`invalid config for stack '${opts.stack}': ${problems.join("; ")}`);
    throw err;
  }
  const redact = redactor(secrets);
  const prefix = `${files.project}:`;
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(files.config))
    if (k.startsWith(prefix)) config[k.slice(prefix.length)] = decode(v);
  const inventory: Inventory = {
    project: files.project,
    stack: opts.stack,
    config: redact(config) as Record<string, unknown>,
    resources: captured.resources.map((r) => ({ ...r, inputs: redact(r.inputs) as Record<string, any> })),
  };

  rmSync(opts.outDir, { recursive: true, force: true });
  mkdirSync(opts.outDir, { recursive: true });
  writeFileSync(join(opts.outDir, "resources.json"), `${JSON.stringify(inventory, null, 2)}\n`);
  const seconds = Number(secondsSince(started));
  writeFileSync(
    join(opts.outDir, "report.md"),
    renderProgramReport(inventory, seconds, captured.unmockedCalls),
  );
  opts.log(`plan: wrote ${opts.outDir} in ${seconds} s: ${inventory.resources.length} resources`);
  return { outDir: opts.outDir, inventory, unmockedCalls: captured.unmockedCalls, seconds, exitCode: 0 };
}

function renderProgramReport(inventory: Inventory, seconds: number, unmocked: string[]): string {
  const lines = [
    `# Offline plan: ${inventory.project}/${inventory.stack}`,
    "",
    `${inventory.resources.length} resources; planned in ${seconds} s.`,
    "",
    "| type | name |",
    "|---|---|",
    ...inventory.resources.map((r) => `| \`${r.type}\` | ${r.name} |`),
    "",
  ];
  if (unmocked.length > 0)
    lines.push("## Unmocked invokes", "", ...unmocked.map((c) => `- \`${c}\` answered with {}`), "");
  return `${lines.join("\n")}\n`;
}
