/**
 * The service images, as far as they can be checked without a Docker engine: each Dockerfile is
 * linted against the rules the cluster relies on (pinned base, multi-stage, non-root 1001, no
 * HEALTHCHECK, the port and scripts the Deployment uses), the build stage's bundle step is run
 * for real and the runtime command starts the bundled service, and build-images.sh tags images
 * exactly as the stack deploys them.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { APP_UID, HTTP_PORT, IMAGE_SCRIPTS } from "../infra/apps/constants.ts";
import { ROOT } from "./helpers/plan.ts";

const SERVICES = ["router", "trace-proxy", "cost-api", "sentinel"] as const;
type Service = (typeof SERVICES)[number];
/** Services whose Deployment runs the migration init container (test/infra/apps.test.ts). */
const DB_SERVICES: Service[] = ["trace-proxy", "cost-api", "sentinel"];

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

const dockerfilePath = (s: Service) => join(ROOT, "services", s, "Dockerfile");
const text = (s: Service) => readFileSync(dockerfilePath(s), "utf8");
const dockerfile = (s: Service) => parseDockerfile(text(s));
const runtime = (s: Service) => dockerfile(s).stages.at(-1)!;
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);
/** The scripts the image must contain (ARG ENTRIES of the build stage). */
const entries = (s: Service) => {
  const build = dockerfile(s).stages.find((st) => st.name === "build")!;
  const arg = build.instructions.find((i) => i.op === "ARG" && i.args.startsWith("ENTRIES="))!;
  return JSON.parse(arg.args.slice("ENTRIES=".length)).split(" ");
};
const bundleScript = (s: Service) => {
  const build = dockerfile(s).stages.find((st) => st.name === "build")!;
  const run = build.instructions.find((i) => i.op === "RUN" && i.heredocs.length > 0);
  return run!.heredocs[0]!;
};

describe("Dockerfile lint", () => {
  it.each(SERVICES)("%s: exists, multi-stage (build, deps, runtime), runtime last", (s) => {
    expect(existsSync(dockerfilePath(s))).toBe(true);
    expect(dockerfile(s).stages.map((st) => st.name)).toEqual(["build", "deps", "runtime"]);
  });

  it("the four Dockerfiles are one template: identical but for the service name", () => {
    const normalized = (s: Service) =>
      text(s)
        .replaceAll(s, "<service>")
        .replace(/^ARG ENTRIES=.*$/m, "ARG ENTRIES=<entries>");
    for (const s of SERVICES) expect(normalized(s)).toBe(normalized("router"));
  });

  it.each(SERVICES)("%s: every stage uses the one base, pinned to an exact version and digest", (s) => {
    const df = dockerfile(s);
    const base = df.globalArgs.NODE_IMAGE!;
    expect(base).toMatch(/^node:\d+\.\d+\.\d+-[a-z0-9-]*slim@sha256:[a-f0-9]{64}$/);
    expect(text(s)).not.toMatch(/:latest\b/);
    for (const st of df.stages) expect(st.from).toBe(["$", "{NODE_IMAGE}"].join(""));
  });

  it.each(SERVICES)("%s: no ADD (nothing fetched from URLs at build time), no curl/wget", (s) => {
    for (const st of dockerfile(s).stages) {
      expect(ops(st, "ADD")).toEqual([]);
      for (const r of ops(st, "RUN")) expect(r.args).not.toMatch(/\b(curl|wget)\b/);
    }
  });

  it.each(SERVICES)("%s: runtime runs as numeric non-root UID 1001, set after every RUN", (s) => {
    const st = runtime(s);
    const users = ops(st, "USER");
    expect(users).toHaveLength(1);
    expect(users[0]!.args).toBe(`${APP_UID}:${APP_UID}`);
    const lastRun = st.instructions.map((i) => i.op).lastIndexOf("RUN");
    expect(st.instructions.indexOf(users[0]!)).toBeGreaterThan(lastRun);
  });

  it.each(SERVICES)(
    "%s: no HEALTHCHECK (Kubernetes probes /health and /ready); exposes the contract port",
    (s) => {
      for (const st of dockerfile(s).stages) expect(ops(st, "HEALTHCHECK")).toEqual([]);
      expect(ops(runtime(s), "EXPOSE").map((i) => i.args)).toEqual([String(HTTP_PORT)]);
      expect(
        ops(runtime(s), "ENV")
          .map((i) => i.args)
          .join(" "),
      ).toContain(`PORT=${HTTP_PORT}`);
    },
  );

  it.each(SERVICES)("%s: exec-form entrypoint node, CMD the main script the Deployment runs", (s) => {
    const st = runtime(s);
    expect(JSON.parse(ops(st, "ENTRYPOINT")[0]!.args)[0]).toBe("node");
    expect(JSON.parse(ops(st, "CMD")[0]!.args)).toEqual([IMAGE_SCRIPTS.main]);
    // The bundle emits dist/<entry>.mjs: main for CMD, migrate for the Postgres users' init container.
    expect(bundleScript(s)).toContain('outExtension: { ".js": ".mjs" }');
    expect(IMAGE_SCRIPTS.migrate).toBe("dist/migrate.mjs");
    expect(entries(s)).toEqual(DB_SERVICES.includes(s) ? ["main", "migrate"] : ["main"]);
  });

  it.each(SERVICES)("%s: the runtime image carries no package manager and only production deps", (s) => {
    const st = runtime(s);
    expect(
      ops(st, "RUN")
        .map((r) => r.args)
        .join(" "),
    ).toMatch(/rm -rf .*\/usr\/local\/lib\/node_modules\/npm/);
    const deps = dockerfile(s).stages.find((x) => x.name === "deps")!;
    expect(ops(deps, "RUN")[0]!.args).toMatch(/npm ci --omit=dev .*--workspace "services\/\$\{SERVICE\}"/);
    expect(ops(st, "COPY").map((c) => c.args)).toEqual([
      "--from=deps /src/node_modules ./node_modules",
      "--from=build /out/dist ./dist",
    ]);
  });

  it.each(SERVICES)("%s: the build context ignores host node_modules and .git", (s) => {
    const ignore = readFileSync(join(ROOT, "services", s, "Dockerfile.dockerignore"), "utf8").split("\n");
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

describe("the runtime command starts the bundled service", () => {
  const outRoot = join(ROOT, "out", "image-test");
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    rmSync(outRoot, { recursive: true, force: true });
  });

  // Only services whose code has landed can be bundled and run; the others' images fail to build by
  // design (see "the build fails when a declared script is missing") until their code exists.
  const script = (s: Service, entry: string) => join(ROOT, "services", s, "src", `${entry}.ts`);
  const hasMain = (s: Service) => existsSync(script(s, "main"));
  const present = (s: Service) => entries(s).filter((e: string) => existsSync(script(s, e)));

  it("a service with code ships every script its image declares", () => {
    for (const s of SERVICES.filter(hasMain)) expect(present(s), s).toEqual(entries(s));
  });

  for (const s of DB_SERVICES.filter(hasMain))
    it(`${s}: bundles src/migrate.ts (the init container runs it before rollout)`, () => {
      const r = spawnSync(process.execPath, ["--input-type=module"], {
        cwd: ROOT,
        input: bundleScript(s),
        env: { ...process.env, SERVICE: s, BUNDLE_OUT: join(outRoot, `${s}-migrate`), ENTRIES: "migrate" },
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
    });

  it("the build fails when a declared script is missing", () => {
    const r = spawnSync(process.execPath, ["--input-type=module"], {
      cwd: ROOT,
      input: bundleScript("router"),
      env: {
        ...process.env,
        SERVICE: "router",
        BUNDLE_OUT: join(outRoot, "none"),
        ENTRIES: "main no-such-entry",
      },
      encoding: "utf8",
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("no-such-entry.ts");
  });
  for (const s of SERVICES.filter(hasMain))
    it(`${s}: bundle (the Dockerfile's own build script), start, /health 200, SIGTERM exits 0`, async () => {
      const out = join(outRoot, s, "dist");
      // Externals resolve from out/ up to the repository's node_modules, as /app/dist does to /app/node_modules.
      const bundled = spawnSync(process.execPath, ["--input-type=module"], {
        cwd: ROOT,
        input: bundleScript(s),
        // Scripts not yet written (see "ships its migration") are left out so main can still be run.
        env: { ...process.env, SERVICE: s, BUNDLE_OUT: out, ENTRIES: present(s).join(" ") },
        encoding: "utf8",
      });
      expect(bundled.stderr).toBe("");
      expect(bundled.status).toBe(0);
      expect(existsSync(join(out, "main.mjs"))).toBe(true);

      const port = await freePort();
      const data = mkdtempSync(join(tmpdir(), `${s}-data-`));
      const [entry] = JSON.parse(ops(runtime(s), "ENTRYPOINT")[0]!.args) as string[];
      const flags = (JSON.parse(ops(runtime(s), "ENTRYPOINT")[0]!.args) as string[]).slice(1);
      expect(entry).toBe("node");
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
      expect(readdirSync(out).filter((f) => !/^(main|migrate)\.mjs(\.map)?$/.test(f))).toEqual([]);
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
      for (const s of SERVICES) {
        const image = `${cfg["llmops:imageRegistry"]}/${s}:${cfg["llmops:imageTag"]}`;
        expect(r.stdout).toContain(
          `docker buildx build --pull --platform linux/amd64 -f services/${s}/Dockerfile -t ${image}`,
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
