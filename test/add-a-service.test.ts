/**
 * Adding a service is its folder plus one entry in services/services.ts. In a copy of the repository
 * this spec adds "example" (Postgres, consumes llm.traces, calls the trace proxy) exactly that way and
 * checks that, with no other edit, the offline plan deploys it with its KafkaUser, NetworkPolicy
 * flows, ConfigMap and migrations, `npm start` runs it, and the image build script and the image's
 * bundle step (services/bundle.mjs) build it.
 */
import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Inventory } from "../infra/offline/inventory.ts";
import { SERVICE_NAMES } from "../services/services.ts";
import { ROOT } from "./helpers/plan.ts";
import { startPlatform } from "./helpers/start.ts";

const FOLDER = {
  "package.json": JSON.stringify(
    {
      name: "@llmops/example",
      version: "0.1.0",
      private: true,
      type: "module",
      exports: { "./*": "./src/*.ts" },
      dependencies: { "@llmops/shared": "0.1.0", zod: "4.6.7" },
    },
    null,
    2,
  ),
  "src/contract.ts": `
import { defineContract, envs, TOPICS } from "@llmops/shared/contract";
export const contract = defineContract({
  name: "example",
  description: "an example service added by a spec",
  port: 8099,
  env: { TRACE_PROXY_URL: envs.url().optional() },
  postgres: true,
  consumes: [{ topic: TOPICS.traces, group: "watch" }],
  calls: { "trace-proxy": "TRACE_PROXY_URL" },
});
`,
  "src/service.ts": `
import { authenticate, defineService, principalOf } from "@llmops/shared";
import { contract } from "./contract.ts";
export default defineService({
  contract,
  migrations: [{ id: "001_seen", sql: "create table if not exists example_seen (id text primary key)" }],
  async setup(ctx) {
    await ctx.consume("llm.traces", async (e) => {
      await ctx.db!.query("insert into example_seen (id) values ($1) on conflict do nothing", [e.id]);
    });
    await ctx.app.register(async (app) => {
      await app.register(authenticate, { keys: ctx.keys });
      app.get("/api/v1/example", async (req) => ({
        tenant: principalOf(req).tenant,
        traceProxy: ctx.config.TRACE_PROXY_URL ?? null,
        seen: Number((await ctx.db!.query("select count(*)::int as n from example_seen")).rows[0].n),
      }));
    });
  },
});
`,
};

let copy: string;
const workspaceDirs = (parent: string) =>
  parent === "policies" ? ["policies"] : readdirSync(join(ROOT, parent)).map((d) => join(parent, d));
const children: ChildProcess[] = [];

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), "add-a-service-"));
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    cpSync(join(ROOT, f), join(copy, f));
  }
  // Installed dependencies are shared with the checkout, workspaces' own (e.g. undici 7 under trace-proxy) too.
  for (const dir of [".", ...["services", "policies"].flatMap((d) => workspaceDirs(d))]) {
    if (existsSync(join(ROOT, dir, "node_modules")))
      symlinkSync(join(ROOT, dir, "node_modules"), join(copy, dir, "node_modules"));
  }
  for (const [path, text] of Object.entries(FOLDER)) {
    mkdirSync(dirname(join(copy, "services/example", path)), { recursive: true });
    writeFileSync(join(copy, "services/example", path), text);
  }
  // The one list entry.
  const list = join(copy, "services/services.ts");
  const before = readFileSync(list, "utf8");
  const after = before.replace(
    /export const SERVICE_NAMES = \[([^\]]*)\]/,
    'export const SERVICE_NAMES = [$1, "example"]',
  );
  expect(after).not.toBe(before);
  writeFileSync(list, after);
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(copy, { recursive: true, force: true });
});

describe("a new service: its folder and one list entry", () => {
  it("the offline plan deploys it: Deployment with migrations, ConfigMap, secrets, KafkaUser ACLs, NetworkPolicy flows both ways", () => {
    const out = join(copy, "out/prod");
    const r = spawnSync(join(ROOT, "node_modules/.bin/tsx"), ["infra/offline/cli.ts", "prod", "--out", out], {
      cwd: copy,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const inv = JSON.parse(readFileSync(join(out, "resources.json"), "utf8")) as Inventory;
    const obj = (kind: string, name: string): any =>
      inv.resources.find((x) => x.inputs?.kind === kind && x.inputs?.metadata?.name === name)?.inputs;

    const pod = obj("Deployment", "example").spec.template.spec;
    expect(pod.containers[0].image).toMatch(/\/example:/);
    expect(pod.initContainers.map((c: any) => c.args)).toEqual([["dist/migrate.mjs"]]);
    expect(obj("ConfigMap", "example-config").data).toMatchObject({
      KAFKA_CONSUMER_GROUP: "example",
      TRACE_PROXY_URL: "http://trace-proxy.llmops.svc.cluster.local:8080",
    });
    // Its own Postgres login: its role and no password in its DATABASE_URL, its own cloud identity (an
    // IRSA role only its ServiceAccount assumes, annotated on it), and a place in the roles Job.
    expect(obj("ExternalSecret", "example-postgres").spec.target.template.data.DATABASE_URL).toMatch(
      /^postgres:\/\/example@\{\{ \.host \}\}/,
    );
    const role = inv.resources.find(
      (x) =>
        x.type === "aws:iam/role:Role" &&
        x.inputs.assumeRolePolicy?.includes("system:serviceaccount:llmops:example"),
    )!;
    expect(obj("ServiceAccount", "example").metadata.annotations).toEqual({
      "eks.amazonaws.com/role-arn": expect.stringContaining(role.name),
    });
    const job = inv.resources.find((x) => x.inputs?.kind === "Job")!.inputs as any;
    expect(job.spec.template.spec.volumes.map((v: any) => v.secret?.secretName)).toContain(
      "example-postgres",
    );

    const acls = obj("KafkaUser", "example").spec.authorization.acls;
    expect(acls).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          resource: expect.objectContaining({ type: "topic", name: "llm.traces" }),
          operations: ["Read", "Describe"],
        }),
        expect.objectContaining({ resource: { type: "group", name: "example", patternType: "prefix" } }),
      ]),
    );
    expect(acls.some((a: any) => a.operations.includes("Write"))).toBe(false);

    const toTraceProxy = obj("NetworkPolicy", "example").spec.egress.find((e: any) =>
      e.to.some((t: any) => t.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "trace-proxy"),
    );
    expect(toTraceProxy).toBeDefined();
    const fromExample = obj("NetworkPolicy", "trace-proxy").spec.ingress.find((i: any) =>
      i.from.some((f: any) => f.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "example"),
    );
    expect(fromExample).toBeDefined();
    expect(obj("ScaledObject", "example") ?? obj("HorizontalPodAutoscaler", "example")).toBeDefined();
    // The new objects validate and the pack passes them (the plan exits 0), and the manifests are written.
    expect(readdirSync(join(out, "manifests", "llmops")).some((f) => f.includes("example"))).toBe(true);
  });

  it("the image build script builds and pushes it with the stack's tag", () => {
    const r = spawnSync("bash", ["services/build-images.sh", "--dry-run", "--push", "prod"], {
      cwd: copy,
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const cfg = parse(readFileSync(join(copy, "Pulumi.prod.yaml"), "utf8")).config;
    const image = `${cfg["llmops:imageRegistry"]}/example:${cfg["llmops:imageTag"]}`;
    expect(r.stdout).toContain(
      `docker buildx build --pull --platform linux/amd64 --build-arg SERVICE=example -f services/Dockerfile -t ${image} --push`,
    );
  });

  it("the image's bundle step builds its main and migrate scripts", () => {
    const out = join(copy, "out/example-dist");
    const r = spawnSync(process.execPath, [join(copy, "services/bundle.mjs")], {
      env: { ...process.env, SERVICE: "example", BUNDLE_OUT: out },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(
      readdirSync(out)
        .filter((f) => f.endsWith(".mjs"))
        .sort(),
    ).toEqual(["main.mjs", "migrate.mjs", "roles.mjs"]);
  });

  it("npm start runs it beside the others, pointed at the local trace proxy, consuming the shared bus", async () => {
    const platform = await startPlatform(copy, [...SERVICE_NAMES, "example"], {
      DATA_DIR: join(copy, ".data"),
    });
    children.push(platform.child);
    const { url, key } = platform;
    const auth = { authorization: `Bearer ${key}` };
    expect((await fetch(`${url("example")}/health`)).status).toBe(200);
    // A call through the trace proxy produces a trace the new service consumes.
    const call = await fetch(`${url("trace-proxy")}/v1/chat/completions`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ model: "demo-model", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(call.status).toBe(200);
    await expect
      .poll(
        async () =>
          (await (await fetch(`${url("example")}/api/v1/example`, { headers: auth })).json()) as any,
        {
          timeout: 15_000,
        },
      )
      .toEqual({ tenant: "local", traceProxy: url("trace-proxy"), seen: 1 });
    expect(await platform.stop()).toBe(0);
  });
});
