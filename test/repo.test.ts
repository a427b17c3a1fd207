/**
 * Repository hygiene that CI enforces through `npm test`: strict types, lint/format clean, and no
 * generated output under version control.
 */
import { execFileSync, spawnSync } from "node:child_process";
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

  it("tracks no generated output", () => {
    const tracked = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n");
    const generated = tracked.filter((f) =>
      /^(out|\.data|coverage)\/|(^|\/)node_modules\/|(^|\/)dist\//.test(f),
    );
    expect(generated).toEqual([]);
  });
});
