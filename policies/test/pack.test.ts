/**
 * The real CrossGuard path: start the pack entry (index.ts) the way the Pulumi Node language host does
 * (node --import tsx, per PulumiPolicy.yaml), talk to its analyzer gRPC server like the CLI does, and check it
 * reports the same violations as the offline engine on the same fixtures.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { packConfig } from "../config/generate.ts";
import { checkInventory, type InventoryResource } from "../offline/index.ts";
import { rules } from "../rules/index.ts";
import { scan } from "../rules/taggable.gen.ts";
import { cases } from "./cases.ts";
import { compliantInventory, T } from "./fixtures.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const root = here("../..");
const req = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi/proto/analyzer_pb.js"));
const apb = req("./analyzer_pb.js");
const rpc = req("./analyzer_grpc_pb.js");
const grpc = req("@grpc/grpc-js");
const { Struct } = req("google-protobuf/google/protobuf/struct_pb.js");
const { Empty } = req("google-protobuf/google/protobuf/empty_pb.js");

describe("pack files", () => {
  it("index.ts only constructs the PolicyPack from the rule modules", () => {
    const src = readFileSync(here("../index.ts"), "utf8").trim().split("\n").filter(Boolean);
    expect(src.filter((l) => !l.startsWith("import "))).toEqual([
      'new PolicyPack("llmops-policies", { policies, enforcementLevel: "mandatory" });',
    ]);
  });

  it("rules/taggable.json matches the installed cloud SDKs", () => {
    expect(JSON.parse(readFileSync(here("../rules/taggable.json"), "utf8"))).toEqual(scan());
  });

  it("README documents every rule", () => {
    const readme = readFileSync(here("../README.md"), "utf8");
    for (const r of rules) expect(readme).toMatch(new RegExp(`\\| \`${r.id}\` +\\| ${r.category} +\\|`));
  });

  it("PulumiPolicy.yaml runs the TypeScript ESM entry through tsx", () => {
    const y = parseYaml(readFileSync(here("../PulumiPolicy.yaml"), "utf8"));
    expect(y.runtime).toEqual({ name: "nodejs", options: { typescript: false, nodeargs: "--import tsx" } });
    expect(y.main).toBe("index.ts");
  });

  it("config/dev.json and config/prod.json are what config/generate.ts writes", () => {
    for (const env of ["dev", "prod"] as const) {
      const file = JSON.parse(readFileSync(here(`../config/${env}.json`), "utf8"));
      expect(file).toEqual(packConfig(env));
      for (const r of rules) {
        const e = file[r.id];
        expect(e.enforcementLevel).toBe(
          r.category === "security" || env === "prod" ? "mandatory" : "advisory",
        );
        for (const k of Object.keys(e))
          if (k !== "enforcementLevel") expect(r.policy.configSchema?.properties[k]).toBeDefined();
      }
    }
  });
});

/**
 * Two ways the pack's main is loaded: as an ESM entry (node --import tsx index.ts), and through require(), which
 * is how @pulumi/pulumi's run-policy-pack loads a policy pack's main (so the rule loader must stay synchronous).
 */
const launches: [string, string[]][] = [
  ["as an ESM entry", ["--import", "tsx", "policies/index.ts"]],
  [
    "through require(), as the policy-pack runner loads it",
    ["--import", "tsx", "-e", 'require("./policies/index.ts")'],
  ],
];

describe.each(launches)("analyzer server started from index.ts %s", (_how, nodeArgs) => {
  let child: ChildProcess;
  let client: any;
  const call = <T>(method: string, msg: unknown) =>
    new Promise<T>((resolve, reject) =>
      client[method](msg, (e: Error | null, r: T) => (e ? reject(e) : resolve(r))),
    );

  beforeAll(async () => {
    child = spawn(process.execPath, nodeArgs, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const port = await new Promise<string>((resolve, reject) => {
      let buf = "";
      let err = "";
      child.stdout!.on("data", (d) => {
        buf += d;
        const m = buf.match(/^(\d+)\s*$/m);
        if (m) resolve(m[1]!);
      });
      child.stderr!.on("data", (d) => (err += d));
      child.on("exit", (c) => reject(new Error(`analyzer exited ${c}: ${err}`)));
    });
    client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const creq = new apb.ConfigureAnalyzerRequest();
    const map = creq.getPolicyconfigMap();
    for (const [name, cfg] of Object.entries(packConfig("prod"))) {
      const { enforcementLevel, ...props } = cfg as Record<string, unknown>;
      const pc = new apb.PolicyConfig();
      pc.setEnforcementlevel(
        enforcementLevel === "advisory" ? apb.EnforcementLevel.ADVISORY : apb.EnforcementLevel.MANDATORY,
      );
      pc.setProperties(Struct.fromJavaScript(props));
      map.set(name, pc);
    }
    await call("configure", creq);
  }, 60_000);

  afterAll(() => {
    client?.close();
    child?.kill();
  });

  it("registers every rule with severity, remediation and config schema", async () => {
    const info: any = await call("getAnalyzerInfo", new Empty());
    expect(info.getName()).toBe("llmops-policies");
    const ps = info.getPoliciesList();
    expect(ps.map((p: any) => p.getName())).toEqual(rules.map((r) => r.id));
  });

  const opts = () => {
    const o = new apb.AnalyzerResourceOptions();
    o.setProtect(false);
    return o;
  };
  const analyze = async (r: InventoryResource) => {
    const a = new apb.AnalyzeRequest();
    a.setType(r.type);
    a.setUrn(r.urn);
    a.setName(r.name);
    a.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.inputs))));
    a.setOptions(opts());
    const res: any = await call("analyze", a);
    return res.getDiagnosticsList().map((d: any) => d.getPolicyname()) as string[];
  };
  const analyzeStack = async (rs: InventoryResource[]) => {
    const a = new apb.AnalyzeStackRequest();
    a.setResourcesList(
      rs.map((r) => {
        const x = new apb.AnalyzerResource();
        x.setType(r.type);
        x.setUrn(r.urn);
        x.setName(r.name);
        x.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.inputs))));
        x.setOptions(opts());
        if (r.parent) x.setParent(r.parent);
        x.setDependenciesList(r.dependsOn);
        return x;
      }),
    );
    const res: any = await call("analyzeStack", a);
    return res.getDiagnosticsList().map((d: any) => d.getPolicyname()) as string[];
  };

  it("reports the same policies as the offline engine for every single-resource fixture", async () => {
    const resourceRules = new Set(rules.filter((r) => r.kind === "resource").map((r) => r.id));
    for (const c of cases.filter(
      // The server runs with the prod config; fixtures that set their own options are covered offline.
      (x) => resourceRules.has(x.rule) && x.resources.length === 1 && !x.resources[0]!.provider && !x.options,
    )) {
      const r = c.resources[0]!;
      const offline = await checkInventory(
        { project: "llmops", stack: "prod", config: {}, resources: [r] },
        { env: "prod", only: [...resourceRules] },
      );
      const served = await analyze(r);
      expect(new Set(served), `${c.rule}: ${c.name}`).toEqual(
        new Set(offline.violations.map((v) => v.policy)),
      );
      expect(served.includes(c.rule), `${c.rule}: ${c.name}`).toBe(c.fails);
    }
  });

  it("stack policies agree on the compliant inventory and on a broken one", async () => {
    const inv = compliantInventory();
    expect(await analyzeStack(inv.resources)).toEqual([]);
    inv.resources = inv.resources.filter((r) => !(r.type === T.pdb && r.name === "router"));
    const served = await analyzeStack(inv.resources);
    const offline = await checkInventory(inv, {
      env: "prod",
      only: rules.filter((r) => r.kind === "stack").map((r) => r.id),
    });
    expect(served).toEqual(offline.violations.map((v) => v.policy));
    expect(served).toEqual(["k8s-pdb-coverage"]);
  });
});
