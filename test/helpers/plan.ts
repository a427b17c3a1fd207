/**
 * Runs `npm run plan` exactly as a user does (a child process: the Pulumi runtime is global
 * per process) and loads what it wrote, for assertions on the inventory and manifests.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import type { Inventory, InventoryResource } from "../../infra/offline/inventory.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "infra/offline/cli.ts");
const TSX = join(ROOT, "node_modules/.bin/tsx");

export interface PlanRun {
  status: number | null;
  stdout: string;
  stderr: string;
  outDir: string;
}

/** Runs the plan CLI with raw arguments (for usage/exit-code tests). */
export function runPlanCli(args: string[]): PlanRun {
  const outDir = mkdtempSync(join(tmpdir(), "plan-"));
  const r = spawnSync(TSX, [CLI, ...args, "--out", outDir], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, outDir };
}

/** The same, without blocking the test worker, so independent runs can overlap. */
export async function runPlanCliAsync(args: string[]): Promise<PlanRun> {
  const outDir = mkdtempSync(join(tmpdir(), "plan-"));
  return new Promise((resolve) => {
    execFile(TSX, [CLI, ...args, "--out", outDir], { cwd: ROOT, timeout: 240_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === "number" ? err.code : null) : 0;
      resolve({ status, stdout, stderr, outDir });
    });
  });
}

export interface Plan extends PlanRun {
  inventory: Inventory;
  report: string;
  sarif: any;
  /** Every Kubernetes manifest written under manifests/. */
  manifests: any[];
  /** All resources of a Pulumi type token. */
  ofType(type: string): InventoryResource[];
  /** The one resource of a type (optionally by name); throws when absent or ambiguous. */
  one(type: string, name?: string): InventoryResource;
  /** Kubernetes objects by kind (and optional metadata.name). */
  objects(kind: string, name?: string): any[];
}

/** Plans a stack with `-c` overrides and loads its outputs. Fails loudly on exit 2 or a crash. */
export function planStack(stack: string, overrides: Record<string, string> = {}): Plan {
  const args = planArgs(stack, overrides);
  return loadPlan(args, runPlanCli(args));
}

/** The same without blocking the worker, so a spec's plans of several stacks and clouds overlap. */
export async function planStackAsync(stack: string, overrides: Record<string, string> = {}): Promise<Plan> {
  const args = planArgs(stack, overrides);
  return loadPlan(args, await runPlanCliAsync(args));
}

const planArgs = (stack: string, overrides: Record<string, string>) => [
  stack,
  ...Object.entries(overrides).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
];

function loadPlan(args: string[], run: PlanRun): Plan {
  if (run.status !== 0 && run.status !== 1) {
    throw new Error(`plan ${args.join(" ")} exited ${run.status}:\n${run.stderr}`);
  }
  const inventory = JSON.parse(readFileSync(join(run.outDir, "resources.json"), "utf8")) as Inventory;
  const manifests: any[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else manifests.push(parse(readFileSync(join(dir, e.name), "utf8")));
    }
  };
  walk(join(run.outDir, "manifests"));
  const ofType = (type: string) => inventory.resources.filter((r) => r.type === type);
  return {
    ...run,
    inventory,
    report: readFileSync(join(run.outDir, "report.md"), "utf8"),
    sarif: JSON.parse(readFileSync(join(run.outDir, "report.sarif"), "utf8")),
    manifests,
    ofType,
    one(type, name) {
      const found = ofType(type).filter((r) => name === undefined || r.name === name);
      if (found.length !== 1)
        throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
      return found[0]!;
    },
    objects(kind, name) {
      return manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata?.name === name));
    },
  };
}
