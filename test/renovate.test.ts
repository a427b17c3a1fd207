/**
 * The dependency update policy (renovate.json) as a specification: valid against the schema the
 * pinned Renovate release publishes, no option Renovate does not know, one group per ecosystem, exact
 * pins, and the custom managers, run here over the files they target exactly as Renovate runs them,
 * find every chart pin in infra/platform/versions.ts and every version the workflows and the test
 * setup name.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { CHARTS, GATEWAY_API } from "../infra/platform/versions.ts";
import { ROOT } from "./helpers/plan.ts";

interface CustomManager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  depNameTemplate?: string;
  datasourceTemplate?: string;
}
interface PackageRule {
  groupName?: string;
  matchManagers?: string[];
  matchPackageNames?: string[];
  matchFileNames?: string[];
  matchDepTypes?: string[];
  pinDigests?: boolean;
  enabled?: boolean;
  allowedVersions?: string;
}
interface Config {
  rangeStrategy: string;
  packageRules: PackageRule[];
  customManagers: CustomManager[];
  [key: string]: unknown;
}
interface Dep {
  file: string;
  depName: string;
  currentValue: string;
  registryUrl?: string;
  datasource?: string;
}

const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const config = JSON.parse(read("renovate.json")) as Config;

/** Renovate writes file patterns as "/regex/"; anything else would be a glob. */
const filePattern = (p: string) => {
  const m = /^\/(.*)\/$/.exec(p);
  if (!m) throw new Error(`expected a /regex/ file pattern, got ${p}`);
  return new RegExp(m[1]!);
};

/** What a regex custom manager extracts from a file: every match of every matchString, with templates. */
function extract(manager: CustomManager, file: string): Dep[] {
  if (!manager.managerFilePatterns.some((p) => filePattern(p).test(file))) return [];
  const text = read(file);
  return manager.matchStrings.flatMap((s) =>
    [...text.matchAll(new RegExp(s, "g"))].map((m) => ({
      file,
      depName: manager.depNameTemplate ?? m.groups!.depName!,
      currentValue: m.groups!.currentValue!,
      ...(m.groups!.registryUrl ? { registryUrl: m.groups!.registryUrl } : {}),
      ...(manager.datasourceTemplate ? { datasource: manager.datasourceTemplate } : {}),
    })),
  );
}
const depsIn = (file: string) => config.customManagers.flatMap((m) => extract(m, file));

const VERSIONS = "infra/platform/versions.ts";
const WORKFLOWS = readdirSync(join(ROOT, ".github/workflows")).map((f) => `.github/workflows/${f}`);
const PREPARE = "test/setup/prepare.sh";

describe("renovate.json", () => {
  const schema = (() => {
    try {
      return JSON.parse(read("test/.renovate/renovate-schema.json"));
    } catch {
      throw new Error(
        "test/.renovate/renovate-schema.json is missing: run `npm test` (its pretest fetches it)",
      );
    }
  })();

  it("is valid against the schema of the Renovate release the test setup pins", () => {
    const pinned = /^RENOVATE_VERSION=(\S+)$/m.exec(read(PREPARE))![1];
    expect(schema["x-renovate-version"]).toBe(pinned);
    const validate = new Ajv({ strict: false, allErrors: true, logger: false }).compile(schema);
    expect(validate(config), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it("the schema check has teeth: it refuses an unknown strategy and a wrong type", () => {
    const validate = new Ajv({ strict: false, allErrors: true, logger: false }).compile(schema);
    expect(validate({ ...config, rangeStrategy: "pinned" })).toBe(false);
    expect(validate({ ...config, minimumReleaseAge: 3 })).toBe(false);
  });

  it("uses only options Renovate knows, at every level (the schema alone lets a misspelt key through)", () => {
    // A rule or manager takes its own matchers plus any top-level option (Renovate merges them).
    const top = new Set(Object.keys(schema.properties));
    const known = (def: any) => new Set([...top, ...Object.keys(def.items.allOf[0].properties)]);
    expect(Object.keys(config).filter((k) => !top.has(k) && k !== "$schema")).toEqual([]);
    const rules = known(schema.definitions.packageRules);
    for (const r of config.packageRules) expect(Object.keys(r).filter((k) => !rules.has(k))).toEqual([]);
    const managers = known(schema.definitions.customManagers);
    for (const m of config.customManagers) expect(Object.keys(m).filter((k) => !managers.has(k))).toEqual([]);
  });

  it("pins exact versions, leaves the supported Node range (engines) alone, waits three days for a release", () => {
    expect(config.rangeStrategy).toBe("pin");
    expect(config.minimumReleaseAge).toBe("3 days");
    expect(config.packageRules.find((r) => r.matchDepTypes?.includes("engines"))).toMatchObject({
      enabled: false,
    });
  });

  it("groups updates per ecosystem: npm, Pulumi SDKs, Node.js, GitHub Actions, Docker base images, platform charts", () => {
    const group = (pred: (r: PackageRule) => boolean) =>
      config.packageRules.filter(pred).map((r) => r.groupName);
    expect(group((r) => !!r.matchManagers?.includes("npm"))).toEqual(["npm dependencies"]);
    expect(group((r) => !!r.matchPackageNames?.includes("@pulumi/**"))).toEqual(["Pulumi SDKs"]);
    expect(group((r) => !!r.matchManagers?.includes("nvm") && !!r.matchManagers.includes("nodenv"))).toEqual([
      "Node.js",
    ]);
    expect(group((r) => !!r.matchManagers?.includes("github-actions"))).toEqual(["GitHub Actions"]);
    expect(group((r) => !!r.matchManagers?.includes("dockerfile"))).toEqual(["Docker base images"]);
    expect(group((r) => !!r.matchFileNames?.includes(VERSIONS))).toEqual(["platform charts"]);
    // The Pulumi rule comes after the npm one, so the SDKs leave the npm group (later rules win).
    const names = config.packageRules.map((r) => r.groupName);
    expect(names.indexOf("Pulumi SDKs")).toBeGreaterThan(names.indexOf("npm dependencies"));
  });

  it("keeps actions and base images pinned by digest, and both Node pins on the supported LTS lines", () => {
    for (const m of ["github-actions", "dockerfile"])
      expect(config.packageRules.find((r) => r.matchManagers?.includes(m))!.pinDigests).toBe(true);
    for (const m of ["nvm", "dockerfile"]) {
      const allowed = new RegExp(
        config.packageRules.find((r) => r.matchManagers?.includes(m))!.allowedVersions!.slice(1, -1),
      );
      expect(allowed.test(read(".node-version").trim())).toBe(true);
      expect(allowed.test("26.0.0")).toBe(false);
    }
  });
});

describe("custom managers over the files they target", () => {
  const charts = depsIn(VERSIONS).filter((d) => d.datasource === "helm");

  it("find every chart pin in versions.ts, by its repository and exact version, through the helm datasource", () => {
    for (const [key, pin] of Object.entries(CHARTS)) {
      const found = charts.filter((d) => d.registryUrl === pin.repo && d.currentValue === pin.version);
      expect([key, found.length > 0]).toEqual([key, true]);
      // A pin written out is looked up by its own chart name; a shared constant by one chart of its set.
      const named = found.find((d) => d.depName === pin.chart);
      const shared = found.find((d) =>
        Object.values(CHARTS).some(
          (p) => p.chart === d.depName && p.repo === pin.repo && p.version === pin.version,
        ),
      );
      expect([key, !!(named ?? shared)]).toEqual([key, true]);
    }
  });

  it("report nothing that is not a pin of the table (no stray match)", () => {
    for (const d of charts)
      expect(
        Object.values(CHARTS).some(
          (p) => p.chart === d.depName && p.repo === d.registryUrl && p.version === d.currentValue,
        ),
        JSON.stringify(d),
      ).toBe(true);
  });

  it("a reordered entry (version before repo) is not matched, so the spec above would catch it", () => {
    const literal = config.customManagers.find((m) => m.datasourceTemplate === "helm" && !m.depNameTemplate)!;
    const reordered = 'keda: { chart: "keda", version: "2.20.2", repo: "https://kedacore.github.io/charts" }';
    expect(reordered.match(new RegExp(literal.matchStrings[0]!))).toBeNull();
  });

  it("find the Gateway API release the CRDs are installed from", () => {
    expect(depsIn(VERSIONS).filter((d) => d.datasource === "github-releases")).toEqual([
      expect.objectContaining({ depName: "kubernetes-sigs/gateway-api", currentValue: GATEWAY_API.version }),
    ]);
  });

  it("find the Pulumi CLI release of every workflow and move it with the SDK", () => {
    const sdk = JSON.parse(read("package.json")).dependencies["@pulumi/pulumi"];
    for (const file of WORKFLOWS) {
      if (!read(file).includes("PULUMI_VERSION:")) continue;
      expect(depsIn(file)).toEqual([
        expect.objectContaining({ depName: "@pulumi/pulumi", currentValue: sdk, datasource: "npm" }),
      ]);
    }
  });

  it("find the Renovate release whose schema the test setup fetches", () => {
    expect(depsIn(PREPARE)).toEqual([
      expect.objectContaining({
        depName: "renovate",
        currentValue: /^RENOVATE_VERSION=(\S+)$/m.exec(read(PREPARE))![1],
      }),
    ]);
  });
});
