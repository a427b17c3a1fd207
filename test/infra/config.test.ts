/**
 * The stack config contract: one schema, every problem reported at once by key, secrets kept secret.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_KEYS, ConfigError, decode, defaultNodePools, parseStackConfig } from "../../infra/config.ts";
import { imageOf } from "../../infra/apps/context.ts";
import { loadStackFiles } from "../../infra/offline/stackfile.ts";
import { ROOT } from "../helpers/plan.ts";
import { minimalStackConfig } from "../helpers/stack-config.ts";

const SECRET = new Set(["llmProviders", "alerting", "clientApiKeys", "adminApiKeys"]);

const valid = minimalStackConfig;

function parseRaw(raw: Record<string, unknown>, secretKeys: Set<string> = SECRET) {
  return parseStackConfig(raw, { project: "llmops", stack: "dev", secretKeys });
}

function problems(raw: Record<string, unknown>, secretKeys: Set<string> = SECRET): string[] {
  try {
    parseRaw(raw, secretKeys);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected the config to be rejected");
}

const reveal = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

describe("stack config", () => {
  it("accepts a minimal dev stack and fills environment defaults", () => {
    const c = parseRaw(valid());
    expect(c.nodePools).toEqual(defaultNodePools("dev"));
    expect(c.vpcCidr).toBe("10.40.0.0/16");
    expect(c.commonTags).toEqual({ project: "llmops", environment: "dev", stack: "dev" });
    expect(c.postgres.version).toBe("16");
  });

  it("needs a workload pool: the services are pinned to workload nodes", () => {
    const system = { name: "ops", size: "large", minNodes: 3, maxNodes: 3, role: "system" };
    expect(problems({ ...valid(), nodePools: [system] })).toContainEqual(
      'nodePools: needs at least one pool with role "workload": the services run only there',
    );
  });

  it("gives prod HA node pools by default", () => {
    const pools = defaultNodePools("prod");
    expect(pools.every((p) => p.minNodes >= 3)).toBe(true);
  });

  it("lists every missing required key in one error", () => {
    const p = problems({});
    for (const key of [
      "cloud",
      "environment",
      "region",
      "domain",
      "kubernetesVersion",
      "imageRegistry",
      "imageTag",
      "acmeEmail",
      "llmProviders",
    ]) {
      expect(p.find((m) => m.startsWith(`${key}:`))).toMatch(/: required \((a string|one of .*|a array)\)$/);
    }
  });

  it("names each bad value with what is expected", () => {
    const p = problems(
      valid({
        cloud: "oracle",
        environment: "staging",
        domain: "Not A Domain",
        kubernetesVersion: "1.2",
        imageTag: "latest",
        acmeEmail: "nobody",
        apiAllowedCidrs: ["10.0.0.0/33"],
      }),
    );
    expect(p).toEqual(
      expect.arrayContaining([
        "cloud: expected one of aws | gcp | azure",
        "environment: expected one of dev | prod",
        expect.stringMatching(/^domain: a lowercase DNS name/),
        expect.stringMatching(/^kubernetesVersion: a minor version such as 1\.34/),
        "imageTag: a pinned tag or digest, never 'latest'",
        expect.stringMatching(/^acmeEmail: an e-mail address/),
        expect.stringMatching(/^apiAllowedCidrs\[0\]: an IPv4 CIDR/),
      ]),
    );
  });

  it("rejects unknown keys, including inside structured values", () => {
    const p = problems(
      valid({ replicas: 3, nodePools: [{ name: "a", size: "small", minNodes: 1, maxNodes: 2, gpu: true }] }),
    );
    expect(p).toContain("unknown key 'replicas'");
    expect(p).toContain("nodePools[0]: unknown key 'gpu'");
  });

  it("checks the region against the chosen cloud and allows a per-cloud override", () => {
    expect(problems(valid({ cloud: "gcp", gcp: { project: "acme-llmops-dev" } }))).toEqual([
      "region: 'us-east-1' is not a gcp region: expected e.g. us-central1 (set gcp.region to override region per cloud)",
    ]);
    const c = parseRaw(valid({ cloud: "gcp", gcp: { project: "acme-llmops-dev", region: "us-central1" } }));
    expect(c.region).toBe("us-central1");
    const a = parseRaw(valid({ cloud: "azure", azure: { region: "eastus2" } }));
    expect(a.region).toBe("eastus2");
  });

  it("requires a GCP project on gcp", () => {
    expect(problems(valid({ cloud: "gcp", region: "us-central1" }))).toEqual([
      "gcp.project: required when cloud is gcp",
    ]);
  });

  it("requires an alert receiver in prod", () => {
    expect(problems(valid({ environment: "prod" }))).toEqual([
      "alerting: required (prod needs a receiver: slackWebhookUrl and/or pagerdutyRoutingKey)",
    ]);
  });

  it("validates node pool bounds and provider uniqueness", () => {
    const p = problems(
      valid({
        nodePools: [{ name: "a", size: "small", minNodes: 5, maxNodes: 2 }],
        llmProviders: [
          { name: "openai", baseUrl: "https://a.example.com", apiKey: "k" },
          { name: "openai", baseUrl: "http://b.example.com", apiKey: "k" },
        ],
      }),
    );
    expect(p).toEqual(
      expect.arrayContaining([
        "nodePools[0].maxNodes: must be >= minNodes",
        "llmProviders[1].baseUrl: an https:// URL",
        "llmProviders: provider names must be unique",
      ]),
    );
  });

  it("refuses secret-bearing keys that were stored in plain text", () => {
    expect(problems(valid(), new Set())).toEqual([
      "llmProviders: holds secret values; set it with `pulumi config set --secret` (or --path with --secret)",
    ]);
    // A channel alone is not secret; a webhook is.
    expect(() =>
      parseRaw(valid({ alerting: { slackChannel: "#ops" } }), new Set(["llmProviders"])),
    ).not.toThrow();
    expect(
      problems(
        valid({ alerting: { slackWebhookUrl: "https://hooks.example.com/x" } }),
        new Set(["llmProviders"]),
      ),
    ).toEqual([
      "alerting: holds secret values; set it with `pulumi config set --secret` (or --path with --secret)",
    ]);
  });

  it("the anomaly webhook's URL and signing key go together, the key at least 32 characters", () => {
    const webhook = (a: Record<string, string>) =>
      problems(valid({ alerting: { slackWebhookUrl: "https://hooks.example.com/x", ...a } }));
    expect(webhook({ anomalyWebhookUrl: "https://hooks.example.com/llm" })).toEqual([
      "alerting.anomalyWebhookSecret: anomalyWebhookUrl and anomalyWebhookSecret go together: the sentinel signs every delivery",
    ]);
    expect(
      webhook({ anomalyWebhookUrl: "https://hooks.example.com/llm", anomalyWebhookSecret: "short" }),
    ).toEqual(["alerting.anomalyWebhookSecret: at least 32 characters"]);
    expect(
      webhook({ anomalyWebhookUrl: "http://hooks.example.com/llm", anomalyWebhookSecret: "k".repeat(32) }),
    ).toEqual(["alerting.anomalyWebhookUrl: an https:// URL"]);
    const ok = { anomalyWebhookUrl: "https://hooks.example.com/llm", anomalyWebhookSecret: "k".repeat(32) };
    expect(() => parseRaw(valid({ alerting: ok }))).not.toThrow();
  });

  it("hands secrets down as secret Outputs only", async () => {
    const c = parseRaw(
      valid({
        clientApiKeys: [{ tenant: "acme", key: "client-key-0123456789" }],
        adminApiKeys: ["admin-key-0123456789"],
        alerting: { slackWebhookUrl: "https://hooks.example.com/x" },
      }),
    );
    expect(pulumi.Output.isInstance(c.llmProviders[0]!.apiKey)).toBe(true);
    expect(await pulumi.isSecret(c.llmProviders[0]!.apiKey)).toBe(true);
    expect(await reveal(c.llmProviders[0]!.apiKey)).toBe("sk-test");
    expect(await pulumi.isSecret(c.clientApiKeys[0]!.key)).toBe(true);
    expect(await pulumi.isSecret(c.adminApiKeys[0]!)).toBe(true);
    expect(await pulumi.isSecret(c.alerting.slackWebhookUrl!)).toBe(true);
    expect(JSON.stringify(c)).not.toContain("sk-test");
  });

  it("pins services to the image pipeline's digests, per service", () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const config = parseRaw(valid({ imageDigests: { router: digest } }));
    expect(imageOf(config, "router")).toBe(`ghcr.io/acme/llmops/router:0.1.0@${digest}`);
    expect(imageOf(config, "sentinel")).toBe("ghcr.io/acme/llmops/sentinel:0.1.0");
    expect(imageOf(parseRaw(valid({ imageTag: digest })), "router")).toBe(
      `ghcr.io/acme/llmops/router@${digest}`,
    );
    expect(() => parseRaw(valid({ imageDigests: { router: "latest" } }))).toThrow(
      "imageDigests.router: a sha256: digest",
    );
  });

  it("decodes structured values but keeps scalars as text", () => {
    expect(decode("1.30")).toBe("1.30");
    expect(decode('["a"]')).toEqual(["a"]);
    expect(decode("true")).toBe(true);
    expect(decode("{not json")).toBe("{not json");
  });
});

describe("Pulumi project and stack files", () => {
  const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8"));

  it("declares only keys the schema knows, in the project namespace", () => {
    for (const key of Object.keys(project.config)) {
      const [ns, bare] = key.split(":");
      expect(ns).toBe(project.name);
      expect(CONFIG_KEYS).toContain(bare);
    }
  });

  it.each([
    ["dev", "dev"],
    ["prod", "prod"],
    ["pr", "dev"],
  ])("Pulumi.%s.yaml is a valid %s stack for every cloud", (stack, environment) => {
    for (const cloud of ["aws", "gcp", "azure"]) {
      const files = loadStackFiles(ROOT, stack, [`cloud=${cloud}`]);
      const raw = Object.fromEntries(
        Object.entries(files.config).map(([k, v]) => [k.split(":")[1]!, decode(v)]),
      );
      const secretKeys = new Set(files.secretKeys.map((k) => k.split(":")[1]!));
      const c = parseStackConfig(raw, { project: files.project, stack, secretKeys });
      expect(c.environment).toBe(environment);
      expect(c.cloud).toBe(cloud);
    }
  });

  it("README documents every config key", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Stack configuration"));
    for (const key of CONFIG_KEYS) expect(section).toContain(`\`${key}\``);
  });
});

describe("platform settings (WAF, VPA, backups, tracing): environment defaults, stack overrides", () => {
  it("dev detects and keeps no backups; prod blocks and backs up 30 days; both trace, prod into object storage", () => {
    expect(parseRaw(valid()).platform).toEqual({
      waf: { enabled: true, mode: "detect", paranoiaLevel: 1 },
      vpa: { enabled: true },
      backups: { enabled: false, schedule: "0 3 * * *", ttlDays: 7 },
      tracing: { enabled: true, objectStorage: false },
    });
    const prod = parseRaw(valid({ environment: "prod", alerting: { pagerdutyRoutingKey: "k" } })).platform;
    expect(prod).toMatchObject({
      waf: { mode: "block" },
      backups: { enabled: true, ttlDays: 30 },
      tracing: { enabled: true, objectStorage: true },
    });
  });

  it("tracing may be switched off; a misspelt key is named", () => {
    expect(parseRaw(valid({ platform: { tracing: { enabled: false } } })).platform.tracing).toEqual({
      enabled: false,
      objectStorage: false,
    });
    expect(problems(valid({ platform: { tracing: { on: false } } }))).toEqual([
      "platform.tracing: unknown key 'on'",
    ]);
  });

  it("a stack overrides single keys and keeps the other defaults", () => {
    const p = parseRaw(valid({ platform: { waf: { mode: "block" }, backups: { enabled: true } } })).platform;
    expect(p.waf).toEqual({ enabled: true, mode: "block", paranoiaLevel: 1 });
    expect(p.backups).toEqual({ enabled: true, schedule: "0 3 * * *", ttlDays: 7 });
  });

  it("reports bad values by key", () => {
    expect(
      problems(valid({ platform: { waf: { mode: "panic" }, backups: { schedule: "daily", ttlDays: 0 } } })),
    ).toEqual([
      expect.stringMatching(/^platform\.waf\.mode: expected one of detect \| block/),
      expect.stringMatching(/^platform\.backups\.schedule: a five-field cron/),
      expect.stringMatching(/^platform\.backups\.ttlDays: /),
    ]);
    expect(problems(valid({ platform: { vpa: { on: true } } }))).toEqual(["platform.vpa: unknown key 'on'"]);
  });
});

describe("Grafana single sign-on", () => {
  const sso = {
    authUrl: "https://login.example.com/realms/acme/protocol/openid-connect/auth",
    tokenUrl: "https://login.example.com/realms/acme/protocol/openid-connect/token",
    userinfoUrl: "https://login.example.com/realms/acme/protocol/openid-connect/userinfo",
    clientId: "grafana",
    clientSecret: "s3cr3t",
    adminGroups: ["platform-admins"],
  };

  it("keeps the client secret secret and fills the defaults", async () => {
    const c = parseRaw(valid({ grafanaSso: sso }), new Set([...SECRET, "grafanaSso"]));
    expect(c.grafanaSso).toMatchObject({ name: "SSO", groupsClaim: "groups", editorGroups: [] });
    expect(pulumi.Output.isInstance(c.grafanaSso!.clientSecret)).toBe(true);
    expect(await reveal(c.grafanaSso!.clientSecret)).toBe("s3cr3t");
  });

  it("refuses a client secret set in plain text, and a plain-http issuer", () => {
    expect(problems(valid({ grafanaSso: sso }))).toEqual([
      expect.stringMatching(/^grafanaSso: holds secret values; set it with `pulumi config set --secret`/),
    ]);
    expect(
      problems(
        valid({ grafanaSso: { ...sso, tokenUrl: "http://login/token" } }),
        new Set([...SECRET, "grafanaSso"]),
      ),
    ).toEqual(["grafanaSso.tokenUrl: an https:// URL"]);
  });
});
