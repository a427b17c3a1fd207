/**
 * Randomised parity: many Deployments built from random combinations of the single mutations the fixtures
 * use; for every Gatekeeper-rendered rule the CEL verdict must equal the CrossGuard verdict.
 */
import { describe, expect, it } from "vitest";
import { evaluate } from "../gatekeeper/cel.ts";
import { gatekeeperRules, renderGatekeeper, templateName } from "../gatekeeper/index.ts";
import { checkInventory } from "../offline/index.ts";
import * as F from "./fixtures.ts";
import { deployment, res, T } from "./fixtures.ts";

type D = ReturnType<typeof deployment> & Record<string, any>;
const ALLOWED_PROFILE = "profiles/llmops-router.json";
/** Both engines run with the same options, including an allow-list entry the fuzz exercises. */
const CONFIG = { "k8s-security-context": { allowedLocalhostProfiles: [ALLOWED_PROFILE] } };
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
  ["add SYS_ADMIN", (d) => (c0(d).securityContext.capabilities.add = ["SYS_ADMIN"])],
  ["add NET_BIND_SERVICE", (d) => (c0(d).securityContext.capabilities.add = ["NET_BIND_SERVICE"])],
  [
    "allowed Localhost seccomp",
    (d) => (pod(d).securityContext.seccompProfile = { type: "Localhost", localhostProfile: ALLOWED_PROFILE }),
  ],
  [
    "other Localhost seccomp",
    (d) => (c0(d).securityContext.seccompProfile = { type: "Localhost", localhostProfile: "x.json" }),
  ],
  ["procMount Unmasked", (d) => (c0(d).securityContext.procMount = "Unmasked")],
  ["procMount Default", (d) => (c0(d).securityContext.procMount = "Default")],
  ["unsafe sysctl", (d) => (pod(d).securityContext.sysctls = [{ name: "kernel.msgmax", value: "1" }])],
  [
    "safe sysctl",
    (d) => (pod(d).securityContext.sysctls = [{ name: "net.ipv4.tcp_syncookies", value: "1" }]),
  ],
  ["SELinux spc_t", (d) => (c0(d).securityContext.seLinuxOptions = { type: "spc_t" })],
  ["SELinux container_t", (d) => (pod(d).securityContext.seLinuxOptions = { type: "container_t" })],
  ["SELinux role", (d) => (pod(d).securityContext.seLinuxOptions = { role: "sysadm_r" })],
  ["AppArmor Unconfined", (d) => (c0(d).securityContext.appArmorProfile = { type: "Unconfined" })],
  ["AppArmor RuntimeDefault", (d) => (pod(d).securityContext.appArmorProfile = { type: "RuntimeDefault" })],
  [
    "AppArmor annotation unconfined",
    (d) =>
      ((d.spec.template.metadata as Record<string, any>).annotations = {
        "container.apparmor.security.beta.kubernetes.io/router": "unconfined",
      }),
  ],
  ["hostProcess", (d) => (c0(d).securityContext.windowsOptions = { hostProcess: true })],
  ["nfs volume", (d) => pod(d).volumes.push({ name: "n", nfs: { server: "s", path: "/" } })],
  ["pvc volume", (d) => pod(d).volumes.push({ name: "p", persistentVolumeClaim: { claimName: "c" } })],
  ["runAsGroup 0", (d) => (c0(d).securityContext.runAsGroup = 0)],
  ["fsGroup 0", (d) => (pod(d).securityContext.fsGroup = 0)],
  ["automount token", (d) => (pod(d).automountServiceAccountToken = true)],
  ["automount unset", (d) => delete pod(d).automountServiceAccountToken],
  ["default ServiceAccount", (d) => (pod(d).serviceAccountName = "default")],
  ["no ServiceAccount", (d) => delete pod(d).serviceAccountName],
  [
    "foreign spread selector",
    (d) => {
      for (const t of pod(d).topologySpreadConstraints ?? [])
        t.labelSelector = { matchLabels: { app: "other" } };
    },
  ],
  [
    "spread by expression",
    (d) => {
      for (const t of pod(d).topologySpreadConstraints ?? [])
        t.labelSelector = {
          matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["router"] }],
        };
    },
  ],
  ["namespace default", (d) => (d.metadata.namespace = "default")],
  ["no namespace", (d) => delete (d.metadata as any).namespace],
  ["AZURE_OPENAI_KEY literal", (d) => c0(d).env.push({ name: "AZURE_OPENAI_KEY", value: "0f3c9a7b" })],
];

const DEPLOYMENT_VARIANTS = 300;

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("CEL and CrossGuard agree on random Deployments", () => {
  const objs = renderGatekeeper({ env: "prod", excludedNamespaces: [], config: CONFIG });
  const rules = gatekeeperRules();
  const rand = rng(20261123);
  const variants = Array.from({ length: DEPLOYMENT_VARIANTS }, (_, i) => {
    const d = deployment() as D;
    const applied: string[] = [];
    for (const [name, m] of MUTATIONS) {
      // About four mutations per variant, so every rule sees both compliant and broken objects.
      if (rand() < 4 / MUTATIONS.length) {
        m(d);
        applied.push(name);
      }
    }
    return { i, d, applied };
  });

  it("for every rule and variant", async () => {
    let denials = 0;
    const outcomes = new Map<string, Set<boolean>>();
    for (const { i, d, applied } of variants) {
      const r = res(T.deploy, `v${i}`, d);
      const report = await checkInventory(
        { project: "p", stack: "prod", config: {}, resources: [r] },
        { env: "prod", only: rules.map((x) => x.id), config: CONFIG },
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
        outcomes.set(rule.id, (outcomes.get(rule.id) ?? new Set()).add(cel.allowed));
        expect(!cel.allowed, `${rule.id} on variant ${i} [${applied.join(", ")}]: CEL ${cel.messages}`).toBe(
          cg,
        );
      }
    }
    expect(denials).toBeGreaterThan(DEPLOYMENT_VARIANTS);
    // Every rule that matches Deployments both admitted and denied some variant.
    for (const [id, seen] of outcomes) expect([...seen].sort(), id).toEqual([false, true]);
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

type M = [string, (o: any) => void];
const G = "rbac.authorization.k8s.io";
const rbac = (kind: string, body: object) => ({
  apiVersion: `${G}/v1`,
  kind,
  metadata: {
    name: "x",
    ...(kind.startsWith("Cluster") ? {} : { namespace: "llmops" }),
    labels: F.labels("x"),
  },
  ...body,
});
const randomRule = (rand: () => number) => {
  const pick = <X>(xs: X[]) => xs.filter(() => rand() < 0.35);
  return {
    apiGroups: pick(["", "apps", "*"]),
    resources: pick([
      "pods",
      "pods/exec",
      "pods/attach",
      "pods/log",
      "secrets",
      "configmaps",
      "nodes/proxy",
      "*",
    ]),
    verbs: pick(["get", "list", "watch", "create", "delete", "escalate", "bind", "impersonate", "*"]),
    ...(rand() < 0.3 ? { resourceNames: ["one"] } : {}),
  };
};

/** Per kind: a compliant object and the single mutations the fixtures use on it. */
const KINDS: { type: string; base: () => any; mutations: M[] }[] = [
  {
    type: T.svc,
    base: () => F.service(),
    mutations: [
      ["LoadBalancer", (o) => (o.spec.type = "LoadBalancer")],
      ["NodePort", (o) => (o.spec.type = "NodePort")],
      ["ExternalName", (o) => (o.spec.type = "ExternalName")],
      ["gateway namespace", (o) => (o.metadata.namespace = "istio-ingress")],
      ["externalIPs", (o) => (o.spec.externalIPs = ["203.0.113.9"])],
      ["empty externalIPs", (o) => (o.spec.externalIPs = [])],
      ["no labels", (o) => delete o.metadata.labels],
    ],
  },
  {
    type: T.ing,
    base: () => F.ingress(),
    mutations: [
      ["no tls", (o) => delete o.spec.tls],
      ["no issuer", (o) => delete o.metadata.annotations],
      ["hostless rule", (o) => o.spec.rules.push({ http: { paths: [] } })],
      ["wildcard host", (o) => (o.spec.rules[0].host = "*.llmops.example.com")],
      ["empty host", (o) => (o.spec.rules[0].host = "")],
      ["defaultBackend", (o) => (o.spec.defaultBackend = { service: { name: "r", port: { number: 80 } } })],
      ["second tls host", (o) => o.spec.tls?.[0].hosts.push("*.llmops.example.com")],
      ["default namespace", (o) => (o.metadata.namespace = "default")],
    ],
  },
  {
    type: T.route,
    base: () => F.httpRoute(),
    mutations: [
      ["no hostnames", (o) => delete o.spec.hostnames],
      ["wildcard hostname", (o) => (o.spec.hostnames ??= []).push("*.example.com")],
      ["redirect only", (o) => (o.spec.rules = [{ filters: [{ type: "RequestRedirect" }] }])],
      ["no rules", (o) => delete o.spec.rules],
      ["no namespace", (o) => delete o.metadata.namespace],
    ],
  },
  {
    type: T.hpa,
    base: () => F.hpa(),
    mutations: [
      ["min 1", (o) => (o.spec.minReplicas = 1)],
      ["no min", (o) => delete o.spec.minReplicas],
      ["max 3", (o) => (o.spec.maxReplicas = 3)],
      ["max 1", (o) => (o.spec.maxReplicas = 1)],
      ["min 20", (o) => (o.spec.minReplicas = 20)],
    ],
  },
  {
    type: T.so,
    base: () => F.scaledObject(),
    mutations: [
      ["no min", (o) => delete o.spec.minReplicaCount],
      ["no max", (o) => delete o.spec.maxReplicaCount],
      ["max 3", (o) => (o.spec.maxReplicaCount = 3)],
      ["min 150", (o) => (o.spec.minReplicaCount = 150)],
    ],
  },
  {
    type: T.pdb,
    base: () => F.pdb(),
    mutations: [
      ["min 1", (o) => (o.spec.minAvailable = 1)],
      ["min 100%", (o) => (o.spec.minAvailable = "100%")],
      ["maxUnavailable 1", (o) => (o.spec.maxUnavailable = 1)],
      ["no namespace", (o) => delete o.metadata.namespace],
    ],
  },
  {
    type: `kubernetes:${G}/v1:Role`,
    base: () => rbac("Role", { rules: [] }),
    mutations: [],
  },
  {
    type: `kubernetes:${G}/v1:ClusterRole`,
    base: () => rbac("ClusterRole", { rules: [] }),
    mutations: [],
  },
  {
    type: `kubernetes:${G}/v1:ClusterRoleBinding`,
    base: () =>
      rbac("ClusterRoleBinding", {
        roleRef: { apiGroup: G, kind: "ClusterRole", name: "view" },
        subjects: [{ kind: "ServiceAccount", name: "router", namespace: "llmops" }],
      }),
    mutations: [
      ["cluster-admin", (o) => (o.roleRef.name = "cluster-admin")],
      ["edit", (o) => (o.roleRef.name = "edit")],
      ["Role named admin", (o) => (o.roleRef = { apiGroup: G, kind: "Role", name: "admin" })],
      ["anonymous", (o) => o.subjects.push({ kind: "User", apiGroup: G, name: "system:anonymous" })],
      ["authenticated", (o) => o.subjects.push({ kind: "Group", apiGroup: G, name: "system:authenticated" })],
      ["no subjects", (o) => delete o.subjects],
    ],
  },
];

describe("CEL and CrossGuard agree on random objects of every other kind the constraints match", () => {
  const objs = renderGatekeeper({ env: "prod", excludedNamespaces: [] });
  const rules = gatekeeperRules();
  const rand = rng(20261201);
  const VARIANTS = 60;

  it.each(KINDS.map((k) => [k.type, k] as const))("%s", async (_t, k) => {
    const outcomes = new Set<boolean>();
    for (let i = 0; i < VARIANTS; i++) {
      const o = k.base();
      const applied: string[] = [];
      for (const [name, m] of k.mutations)
        if (rand() < 1.5 / Math.max(k.mutations.length, 1)) {
          m(o);
          applied.push(name);
        }
      // Roles get random rule lists: wildcards, exec/attach, Secret reads with and without resourceNames.
      if (k.type.endsWith("Role"))
        o.rules = Array.from({ length: Math.floor(rand() * 3) }, () => randomRule(rand));
      const report = await checkInventory(
        { project: "p", stack: "prod", config: {}, resources: [res(k.type, `v${i}`, o)] },
        { env: "prod", only: rules.map((x) => x.id) },
      );
      for (const rule of rules) {
        const template = objs.find(
          (x) => x.kind === "ConstraintTemplate" && x.metadata.name === templateName(rule),
        )!;
        const constraint = objs.find((x) => x.kind === rule.gatekeeper!.kind)!;
        const cel = evaluate(template, constraint, o);
        if (!cel.matched) continue;
        outcomes.add(cel.allowed);
        const cg = report.violations.some((v) => v.policy === rule.id);
        expect(
          !cel.allowed,
          `${rule.id} on ${k.type} [${applied.join(", ")}] ${JSON.stringify(o.rules ?? "")}: CEL ${cel.messages}`,
        ).toBe(cg);
      }
    }
    expect([...outcomes].sort()).toEqual([false, true]);
  });
});
