/**
 * Repository hygiene that CI enforces through `npm test`: strict types, lint/format clean, the
 * layering rules (.dependency-cruiser.cjs), and no generated output under version control.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/plan.ts";

const bin = (name: string) => join(ROOT, "node_modules/.bin", name);

describe("repository", () => {
  it("type-checks under strict TypeScript", () => {
    const r = spawnSync(bin("tsc"), ["--noEmit", "-p", "tsconfig.json"], { cwd: ROOT, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("is lint-clean (eslint)", () => {
    const r = spawnSync(bin("eslint"), ["--max-warnings", "0", "."], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("is formatted (prettier)", () => {
    const r = spawnSync(bin("prettier"), ["--check", "."], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("keeps its layers pointing one way (dependency-cruiser)", () => {
    const r = spawnSync(
      bin("depcruise"),
      ["infra", "services", "policies", "deployment", "bench", "test", "--config", ".dependency-cruiser.cjs"],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("points at nothing outside the repository (no design file the repo does not contain)", () => {
    const tracked = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter((f) => f && !f.endsWith("package-lock.json"));
    const offenders = tracked.filter((f) =>
      /DESIGN\.md|shared\/seeds\//.test(readFileSync(join(ROOT, f), "utf8")),
    );
    expect(offenders).toEqual([]);
  });

  it("tracks no generated output", () => {
    const tracked = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n");
    const generated = tracked.filter((f) =>
      // PG_VERSION marks a Postgres/PGlite data directory, wherever a run left one.
      /^(out|\.data|coverage)\/|(^|\/)node_modules\/|(^|\/)dist\/|(^|\/)PG_VERSION$/.test(f),
    );
    expect(generated).toEqual([]);
  });
});
