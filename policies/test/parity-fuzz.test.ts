/**
 * Randomised parity: many Deployments built from random combinations of the single mutations the fixtures
 * use; for every Gatekeeper-rendered rule the CEL verdict must equal the CrossGuard verdict.
 */
import { describe, expect, it } from "vitest";
import { evaluate } from "../gatekeeper/cel.ts";
import { gatekeeperRules, renderGatekeeper, templateName } from "../gatekeeper/index.ts";
import { checkInventory } from "../offline/index.ts";
import { deployment, res, T } from "./fixtures.ts";

type D = ReturnType<typeof deployment> & Record<string, any>;
const pod = (d: D) => d.spec.template.spec as Record<string, any>;
const c0 = (d: D) => pod(d).containers[0] as Record<string, any>;

const MUTATIONS: [string, (d: D) => void][] = [
  ["replicas 1", (d) => (d.spec.replicas = 1)],
  ["no replicas", (d) => delete (d.spec as any).replicas],
  ["no liveness", (d) => delete c0(d).livenessProbe],
  ["no readiness", (d) => delete c0(d).readinessProbe],
  ["no limits", (d) => delete c0(d).resources.limits],
  ["no cpu request", (d) => delete c0(d).resources.requests.cpu],
  ["pod runAsNonRoot false", (d) => (pod(d).securityContext.runAsNonRoot = false)],
  ["no pod runAsNonRoot", (d) => delete pod(d).securityContext.runAsNonRoot],
  ["container runAsNonRoot", (d) => (c0(d).securityContext.runAsNonRoot = true)],
  ["container runAsUser 0", (d) => (c0(d).securityContext.runAsUser = 0)],
  ["writable root", (d) => delete c0(d).securityContext.readOnlyRootFilesystem],
  ["keep caps", (d) => (c0(d).securityContext.capabilities = { drop: ["NET_RAW"] })],
  ["escalation", (d) => (c0(d).securityContext.allowPrivilegeEscalation = true)],
  ["no pod seccomp", (d) => delete pod(d).securityContext.seccompProfile],
  ["container seccomp", (d) => (c0(d).securityContext.seccompProfile = { type: "RuntimeDefault" })],
  ["container unconfined", (d) => (c0(d).securityContext.seccompProfile = { type: "Unconfined" })],
  ["privileged", (d) => (c0(d).securityContext.privileged = true)],
  ["hostNetwork", (d) => (pod(d).hostNetwork = true)],
  ["hostNetwork false", (d) => (pod(d).hostNetwork = false)],
  ["hostIPC", (d) => (pod(d).hostIPC = true)],
  ["hostPath", (d) => pod(d).volumes.push({ name: "h", hostPath: { path: "/" } })],
  ["hostPort", (d) => (c0(d).ports[0].hostPort = 80)],
  ["latest", (d) => (c0(d).image = "ghcr.io/acme/llmops/router:latest")],
  ["untagged", (d) => (c0(d).image = "ghcr.io/acme/llmops/router")],
  ["digest", (d) => (c0(d).image = `ghcr.io/acme/llmops/router@sha256:${"b".repeat(64)}`)],
  ["tag+digest", (d) => (c0(d).image = `ghcr.io/acme/llmops/router:1.0@sha256:${"c".repeat(64)}`)],
  ["foreign", (d) => (c0(d).image = "quay.io/x/y:1.0")],
  ["lookalike", (d) => (c0(d).image = "ghcr.io/acme/llmopsx/router:1.0")],
  ["no env label", (d) => delete (d.metadata.labels as any).environment],
  ["empty name label", (d) => ((d.metadata.labels as any)["app.kubernetes.io/name"] = "")],
  ["password literal", (d) => c0(d).env.push({ name: "DB_PASSWORD", value: "x1" })],
  ["token number", (d) => c0(d).env.push({ name: "MAX_TOKENS", value: "100" })],
  ["aws key value", (d) => c0(d).env.push({ name: "X", value: "AKIAABCDEFGHIJKLMNOP" })],
  ["url creds", (d) => c0(d).env.push({ name: "U", value: "redis://user:pw@redis:6379" })],
  ["no spread", (d) => delete pod(d).topologySpreadConstraints],
  [
    "anti-affinity",
    (d) =>
      (pod(d).affinity = {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { topologyKey: "kubernetes.io/hostname", labelSelector: {} },
          ],
        },
      }),
  ],
  ["wrong spread key", (d) => (pod(d).topologySpreadConstraints = [{ topologyKey: "rack", maxSkew: 1 }])],
  [
    "sidecar",
    (d) =>
      pod(d).containers.push({
        name: "sidecar",
        image: "ghcr.io/acme/llmops/sidecar:2.0",
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
        securityContext: {
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
        },
      }),
  ],
  [
    "bare init container",
    (d) => (pod(d).initContainers = [{ name: "init", image: "ghcr.io/acme/llmops/init:1.0" }]),
  ],
];

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("CEL and CrossGuard agree on random Deployments", () => {
  const objs = renderGatekeeper({ env: "prod", excludedNamespaces: [] });
  const rules = gatekeeperRules();
  const rand = rng(20261123);
  const variants = Array.from({ length: 150 }, (_, i) => {
    const d = deployment() as D;
    const applied: string[] = [];
    for (const [name, m] of MUTATIONS) {
      if (rand() < 0.12) {
        m(d);
        applied.push(name);
      }
    }
    return { i, d, applied };
  });

  it("for every rule and variant", async () => {
    let denials = 0;
    for (const { i, d, applied } of variants) {
      const r = res(T.deploy, `v${i}`, d);
      const report = await checkInventory(
        { project: "p", stack: "prod", config: {}, resources: [r] },
        { env: "prod", only: rules.map((x) => x.id) },
      );
      for (const rule of rules) {
        const template = objs.find(
          (o) => o.kind === "ConstraintTemplate" && o.metadata.name === templateName(rule),
        )!;
        const constraint = objs.find((o) => o.kind === rule.gatekeeper!.kind)!;
        const cel = evaluate(template, constraint, d);
        if (!cel.matched) continue;
        const cg = report.violations.some((v) => v.policy === rule.id);
        if (!cel.allowed) denials++;
        expect(!cel.allowed, `${rule.id} on variant ${i} [${applied.join(", ")}]: CEL ${cel.messages}`).toBe(
          cg,
        );
      }
    }
    expect(denials).toBeGreaterThan(100);
  });
});

describe("CEL (RE2) and CrossGuard (JS regex) agree on secret detection", () => {
  const KEYS = [
    "PASSWORD",
    "db.password",
    "Passwd",
    "TOKENIZER",
    "MAX_TOKENS",
    "api-key",
    "apiKey",
    "APIKEY",
    "API_KEYS_FILE",
    "client_secret",
    "SECRETS",
    "secretary",
    "SENTRY_DSN",
    "auth_key",
    "ACCESS-KEYS",
    "private.key",
    "credential",
    "LOG_LEVEL",
    "bypass",
    "AZURE_OPENAI_KEY",
    "OPENAI_KEY",
    "key",
    "KEY_ID",
    "KEYCLOAK_URL",
    "HOTKEYS",
    "openaiApiKey",
    "clientSecret",
    "sortKey",
    "monkey",
    "monkeyPatch",
    "DB_PASSPHRASE",
    "STORAGE_CONNECTION_STRING",
    "authToken2",
  ];
  const VALUES = [
    "",
    "true",
    "false",
    "4096",
    "$(POD_IP)",
    "/etc/x",
    "hunter2",
    `sk-${"a".repeat(24)}`,
    "AKIAABCDEFGHIJKLMNOP",
    "https://user:pw@host/x",
    "https://host/x",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN CERTIFICATE-----",
    "ghp_" + "z".repeat(36),
    "xoxb-1234567890-abc",
    "Ünïcode pass",
    "TRUE",
  ];
  const objs = renderGatekeeper({ env: "prod", excludedNamespaces: [] });
  const rule = gatekeeperRules().find((r) => r.id === "k8s-no-secret-literals")!;
  const template = objs.find(
    (o) => o.kind === "ConstraintTemplate" && o.metadata.name === templateName(rule),
  )!;
  const constraint = objs.find((o) => o.kind === rule.gatekeeper!.kind)!;

  it("for every key/value pair in a ConfigMap and in container env", async () => {
    let flagged = 0;
    for (const key of KEYS)
      for (const value of VALUES) {
        const cm = {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "c", namespace: "llmops" },
          data: { [key]: value },
        };
        const d = deployment() as D;
        c0(d).env.push({ name: key, value });
        for (const [type, obj] of [
          [T.cm, cm],
          [T.deploy, d],
        ] as const) {
          const report = await checkInventory(
            { project: "p", stack: "prod", config: {}, resources: [res(type, "x", obj)] },
            { env: "prod", only: [rule.id] },
          );
          const cel = evaluate(template, constraint, obj);
          expect(!cel.allowed, `${type} ${key}=${JSON.stringify(value)}`).toBe(report.violations.length > 0);
          if (!cel.allowed) flagged++;
        }
      }
    expect(flagged).toBeGreaterThan(50);
  });
});
