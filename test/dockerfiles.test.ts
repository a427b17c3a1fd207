/**
 * The service image, as far as it can be checked without a Docker engine: the one Dockerfile is linted
 * against the rules the cluster relies on (pinned base, multi-stage, non-root 1001, no HEALTHCHECK, the
 * port and scripts the Deployment uses), its build stage's bundle step is run for real for every service
 * in the list and the runtime command starts the bundled service, and build-images.sh tags images
 * exactly as the stack deploys them.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import semver from "semver";
import { parse } from "yaml";
import { APP_UID, HTTP_PORT } from "../infra/apps/constants.ts";
import { IMAGE_SCRIPT } from "../services/shared/src/contract.ts";
import { CONTRACTS, SERVICE_NAMES } from "../services/services.ts";
import { ROOT } from "./helpers/plan.ts";

interface Instruction {
  op: string;
  args: string;
  /** Heredoc bodies attached to the instruction (RUN <<'X' ... X). */
  heredocs: string[];
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}
interface Dockerfile {
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** A small Dockerfile parser: comments, line continuations, heredocs, stages. */
function parseDockerfile(text: string): Dockerfile {
  const lines = text.split("\n");
  const instructions: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith("\\") && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`cannot parse line ${i + 1}: ${line}`);
    const heredocs: string[] = [];
    for (const h of m[2]!.matchAll(/<<-?'?"?([A-Za-z_]+)'?"?/g)) {
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== h[1]) body.push(lines[i]!);
      heredocs.push(body.join("\n"));
    }
    instructions.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim(), heredocs });
  }
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === "FROM") {
      const [from, , name] = ins.args.split(/\s+/);
      stages.push({ from: from!, ...(name ? { name } : {}), instructions: [] });
    } else if (stages.length === 0 && ins.op === "ARG") {
      const [k, v] = ins.args.split("=");
      globalArgs[k!] = v ?? "";
    } else stages.at(-1)?.instructions.push(ins);
  }
  return { globalArgs, stages };
}

const DOCKERFILE = join(ROOT, "services", "Dockerfile");
const text = readFileSync(DOCKERFILE, "utf8");
const dockerfile = parseDockerfile(text);
const runtime = dockerfile.stages.at(-1)!;
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);
/** Runs the image's bundle step (services/bundle.mjs, what the build stage runs) for a service into `out`. */
const bundle = (service: string, out: string) =>
  spawnSync(process.execPath, [join(ROOT, "services", "bundle.mjs")], {
    env: { ...process.env, SERVICE: service, BUNDLE_OUT: out },
    encoding: "utf8",
  });

describe("Dockerfile lint", () => {
  it("one Dockerfile for every service: multi-stage (build, deps, runtime), SERVICE a build argument of each", () => {
    expect(dockerfile.stages.map((st) => st.name)).toEqual(["build", "deps", "runtime"]);
    for (const st of dockerfile.stages) expect(ops(st, "ARG").map((a) => a.args)).toContain("SERVICE");
    for (const name of SERVICE_NAMES)
      expect(existsSync(join(ROOT, "services", name, "Dockerfile"))).toBe(false);
  });

  it("every stage uses the one base, pinned to an exact version and digest (never latest)", () => {
    const base = dockerfile.globalArgs.NODE_IMAGE!;
    expect(base).toMatch(/^node:\d+\.\d+\.\d+-[a-z0-9-]*slim@sha256:[a-f0-9]{64}$/);
    expect(text).not.toMatch(/:latest\b/);
    for (const st of dockerfile.stages) expect(st.from).toBe(["$", "{NODE_IMAGE}"].join(""));
  });

  it("the base's Node release is one the project supports (package.json engines), the bundle targets it", () => {
    const release = /^node:(\d+)\.(\d+\.\d+)-/.exec(dockerfile.globalArgs.NODE_IMAGE!)!;
    const engines = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).engines.node;
    expect(semver.satisfies(`${release[1]}.${release[2]}`, engines)).toBe(true);
    expect(readFileSync(join(ROOT, "services", "bundle.mjs"), "utf8")).toContain(
      `target: "node${release[1]}"`,
    );
  });

  it("the build stage bundles with services/bundle.mjs, the script the image tests and benchmarks run", () => {
    const build = dockerfile.stages.find((st) => st.name === "build")!;
    expect(ops(build, "RUN").map((r) => r.args)).toContain("node services/bundle.mjs");
  });

  it("no ADD (nothing fetched from URLs at build time), no curl/wget", () => {
    for (const st of dockerfile.stages) {
      expect(ops(st, "ADD")).toEqual([]);
      for (const r of ops(st, "RUN")) expect(r.args).not.toMatch(/\b(curl|wget)\b/);
    }
  });

  it("runtime runs as numeric non-root UID 1001, set after every RUN", () => {
    const users = ops(runtime, "USER");
    expect(users).toHaveLength(1);
    expect(users[0]!.args).toBe(`${APP_UID}:${APP_UID}`);
    const lastRun = runtime.instructions.map((i) => i.op).lastIndexOf("RUN");
    expect(runtime.instructions.indexOf(users[0]!)).toBeGreaterThan(lastRun);
  });

  it("no HEALTHCHECK (Kubernetes probes /health and /ready); exposes the cluster port", () => {
    for (const st of dockerfile.stages) expect(ops(st, "HEALTHCHECK")).toEqual([]);
    expect(ops(runtime, "EXPOSE").map((i) => i.args)).toEqual([String(HTTP_PORT)]);
    expect(
      ops(runtime, "ENV")
        .map((i) => i.args)
        .join(" "),
    ).toContain(`PORT=${HTTP_PORT}`);
  });

  it("exec-form entrypoint node, CMD the main script every contract names", () => {
    expect(JSON.parse(ops(runtime, "ENTRYPOINT")[0]!.args)[0]).toBe("node");
    expect(JSON.parse(ops(runtime, "CMD")[0]!.args)).toEqual([IMAGE_SCRIPT("main")]);
    for (const c of CONTRACTS) expect(c.scripts.main).toBe(IMAGE_SCRIPT("main"));
  });

  it("the runtime image carries no package manager and only the service's production deps", () => {
    expect(
      ops(runtime, "RUN")
        .map((r) => r.args)
        .join(" "),
    ).toMatch(/rm -rf .*\/usr\/local\/lib\/node_modules\/npm/);
    const deps = dockerfile.stages.find((x) => x.name === "deps")!;
    expect(ops(deps, "RUN")[0]!.args).toMatch(/npm ci --omit=dev .*--workspace "services\/\$\{SERVICE\}"/);
    expect(ops(runtime, "COPY").map((c) => c.args)).toEqual([
      "--from=deps /src/node_modules ./node_modules",
      "--from=build /out/dist ./dist",
    ]);
  });

  it("the build context ignores host node_modules and .git", () => {
    const ignore = readFileSync(join(ROOT, "services", "Dockerfile.dockerignore"), "utf8").split("\n");
    expect(ignore).toEqual(expect.arrayContaining(["**/node_modules", ".git", "out"]));
  });
});

/** A free TCP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
    try {
      const r = await fetch(url);
      return r.status;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`no answer from ${url} within ${ms} ms`);
}

/** Packages npm installed under a workspace's own node_modules (services/<x>/node_modules). */
const WORKSPACE_NESTED = readdirSync(join(ROOT, "services"), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, "services", d.name, "node_modules")))
  .flatMap((d) => {
    const dir = join(ROOT, "services", d.name, "node_modules");
    return readdirSync(dir)
      .filter((n) => !n.startsWith("."))
      .flatMap((n) => (n.startsWith("@") ? readdirSync(join(dir, n)).map((m) => `${n}/${m}`) : [n]));
  });
const externalImport = (name: string) =>
  new RegExp(`(from |import\\(|require\\()"${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(/[^"]*)?"`);

describe("the runtime command starts the bundled service", () => {
  const outRoot = join(ROOT, "out", "image-test");
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    rmSync(outRoot, { recursive: true, force: true });
  });

  it("bundles into a directory outside the repository, as the image build does (/out/dist beside /src)", () => {
    const out = mkdtempSync(join(tmpdir(), "bundle-out-"));
    try {
      const r = bundle("router", out);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(readdirSync(out).sort()).toEqual(["main.mjs", "main.mjs.map"]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("the build fails, naming what is missing, for a folder that is not a service", () => {
    const r = bundle("no-such-service", join(outRoot, "none"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("services/no-such-service/src: missing contract.ts, service.ts");
  });

  for (const contract of CONTRACTS)
    it(`${contract.name}: bundle (the Dockerfile's own build step), its scripts, start, /health 200, SIGTERM exits 0`, async () => {
      const s = contract.name;
      const out = join(outRoot, s, "dist");
      const bundled = bundle(s, out);
      expect(bundled.stderr).toBe("");
      expect(bundled.status).toBe(0);
      // main for CMD; migrate (the init container) and roles (the admin Job) exactly for the Postgres users.
      const scripts = Object.values(contract.scripts)
        .map((p) => p.replace("dist/", ""))
        .sort();
      expect(scripts).toEqual(contract.postgres ? ["main.mjs", "migrate.mjs", "roles.mjs"] : ["main.mjs"]);
      expect(
        readdirSync(out)
          .filter((f) => f.endsWith(".mjs"))
          .sort(),
      ).toEqual(scripts);
      // The runtime stage carries only the root node_modules: a package npm nested under a workspace
      // (its version differs from the root's) is bundled, never imported from node_modules.
      for (const script of scripts) {
        const code = readFileSync(join(out, script), "utf8");
        for (const name of WORKSPACE_NESTED)
          expect(code, `${s}/${script} imports ${name}`).not.toMatch(externalImport(name));
      }

      const port = await freePort();
      const data = mkdtempSync(join(tmpdir(), `${s}-data-`));
      const [entry, ...flags] = JSON.parse(ops(runtime, "ENTRYPOINT")[0]!.args) as string[];
      expect(entry).toBe("node");
      // Externals resolve from out/ up to the repository's node_modules, as /app/dist does to /app/node_modules.
      const child = spawn(process.execPath, [...flags, join(out, "main.mjs")], {
        cwd: join(outRoot, s),
        env: {
          PATH: process.env.PATH,
          PORT: String(port),
          DATA_DIR: data,
          LOG_LEVEL: "warn",
          STORAGE_PROFILE: "memory",
          PROVIDERS: "demo=http://127.0.0.1:9",
          TRACE_PROXY_URL: "http://127.0.0.1:9",
          ROUTER_PROVIDERS_FILE: join(ROOT, "services/router/demo-catalogue.yaml"),
          ADMIN_API_KEYS: "sk-admin-image-test",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(child);
      let stderr = "";
      child.stderr!.on("data", (d) => {
        stderr += String(d);
      });
      expect(await waitForHealth(`http://127.0.0.1:${port}/health`, child, 30_000)).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited, stderr).toBe(0);
      // Read-only root filesystem in the cluster: the service wrote nothing next to its code.
      expect(readdirSync(join(outRoot, s))).toEqual(["dist"]);
      expect(readdirSync(out).filter((f) => !/^(main|migrate|roles)\.mjs(\.map)?$/.test(f))).toEqual([]);
      if (contract.postgres) {
        // The bundled roles script runs: without its config it is one message and exit 2.
        const roles = spawnSync(process.execPath, [join(out, "roles.mjs")], {
          cwd: join(outRoot, s),
          env: { PATH: process.env.PATH },
          encoding: "utf8",
        });
        expect(roles.status, roles.stderr).toBe(2);
        expect(roles.stderr).toMatch(/^postgres-roles: .*\n.*DATABASE_URL/s);
      }
      rmSync(data, { recursive: true, force: true });
    });
});

describe("build-images.sh", () => {
  const script = join(ROOT, "services", "build-images.sh");
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync("bash", [script, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });
  const stackConfig = (stack: string) =>
    parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")).config as Record<string, string>;

  it("is valid bash", () => {
    expect(spawnSync("bash", ["-n", script]).status).toBe(0);
  });

  it.each(["prod", "dev"])(
    "builds and pushes every service with %s's registry and tag, attested",
    (stack) => {
      const r = run(["--dry-run", "--push", stack]);
      expect(r.status, r.stderr).toBe(0);
      const cfg = stackConfig(stack);
      for (const s of SERVICE_NAMES) {
        const image = `${cfg["llmops:imageRegistry"]}/${s}:${cfg["llmops:imageTag"]}`;
        expect(r.stdout).toContain(
          `docker buildx build --pull --platform linux/amd64 --build-arg SERVICE=${s} -f services/Dockerfile -t ${image}`,
        );
        expect(r.stdout).toMatch(
          new RegExp(
            `-t ${image.replace(/[./]/g, "\\$&")} --push --sbom=true --provenance=mode=max --metadata-file \\S+ \\.`,
          ),
        );
      }
    },
  );

  it("prints each pushed image by the digest buildx reports, for pinning in the stack config", () => {
    // A stand-in docker that answers like buildx: it writes the pushed digest to the metadata file.
    const bin = mkdtempSync(join(tmpdir(), "fake-docker-"));
    writeFileSync(
      join(bin, "docker"),
      [
        "#!/usr/bin/env bash",
        'while [[ $# -gt 0 ]]; do [[ "$1" == --metadata-file ]] && file="$2"; shift; done',
        `printf '{"containerimage.digest":"sha256:%s"}' "${"e".repeat(64)}" > "$file"`,
      ].join("\n"),
      { mode: 0o755 },
    );
    const r = run(["--push", "dev", "router", "sentinel"], {
      PATH: `${bin}:${process.env.PATH}`,
      IMAGE_TAG: "abc1234",
    });
    rmSync(bin, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      `ghcr.io/acme/llmops/router@sha256:${"e".repeat(64)}`,
      `ghcr.io/acme/llmops/sentinel@sha256:${"e".repeat(64)}`,
    ]);
  });

  it("refuses latest, digests as build tags, unknown services and stacks", () => {
    expect(run(["prod"], { IMAGE_TAG: "latest" }).status).toBe(2);
    expect(run(["prod"], { IMAGE_TAG: `sha256:${"a".repeat(64)}` }).status).toBe(2);
    expect(run(["--dry-run", "prod", "nope"]).status).toBe(2);
    expect(run(["--dry-run", "nosuchstack"]).status).toBe(2);
    expect(run(["--dry-run", "prod", "router"], { IMAGE_TAG: "1.2.3" }).stdout).toContain("router:1.2.3");
  });
});
