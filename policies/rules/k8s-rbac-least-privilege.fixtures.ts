import { type RuleFixtures, mut } from "../test/builders.ts";
import { labels, res } from "../test/fixtures.ts";

const G = "rbac.authorization.k8s.io";
const T = (kind: string) => `kubernetes:${G}/v1:${kind}`;
const role = (rules: object[], kind = "Role") =>
  res(T(kind), "ca-reader", {
    apiVersion: `${G}/v1`,
    kind,
    metadata: {
      name: "ca-reader",
      ...(kind === "Role" ? { namespace: "kafka" } : {}),
      labels: labels("ca-reader"),
    },
    rules,
  });
const binding = (roleRef: object, subjects: object[], kind = "RoleBinding") =>
  res(T(kind), "router", {
    apiVersion: `${G}/v1`,
    kind,
    metadata: {
      name: "router",
      ...(kind === "RoleBinding" ? { namespace: "llmops" } : {}),
      labels: labels("router"),
    },
    roleRef: { apiGroup: G, ...roleRef },
    subjects,
  });
const appSa = [{ kind: "ServiceAccount", name: "router", namespace: "llmops" }];
const caRead = {
  apiGroups: [""],
  resources: ["secrets"],
  resourceNames: ["llmops-cluster-ca-cert"],
  verbs: ["get", "list", "watch"],
};

export const fixtures: RuleFixtures = {
  good: [
    { name: "Role reading one named Secret", resources: [role([caRead])] },
    {
      name: "ClusterRole reading ConfigMaps",
      resources: [
        role(
          [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }],
          "ClusterRole",
        ),
      ],
    },
    {
      name: "RoleBinding of the app's Role to its ServiceAccount",
      resources: [binding({ kind: "Role", name: "ca-reader" }, appSa)],
    },
    {
      name: "ClusterRoleBinding to the built-in view role",
      resources: [binding({ kind: "ClusterRole", name: "view" }, appSa, "ClusterRoleBinding")],
    },
    {
      name: "exempt cluster-admin binding (reviewed)",
      options: { exempt: ["router"] },
      resources: [binding({ kind: "ClusterRole", name: "cluster-admin" }, appSa, "ClusterRoleBinding")],
    },
  ],
  bad: [
    {
      name: "ClusterRoleBinding granting cluster-admin to an app ServiceAccount",
      resources: [binding({ kind: "ClusterRole", name: "cluster-admin" }, appSa, "ClusterRoleBinding")],
    },
    {
      name: "RoleBinding to the built-in edit role",
      resources: [binding({ kind: "ClusterRole", name: "edit" }, appSa)],
    },
    {
      name: "binding to system:unauthenticated",
      resources: [
        binding({ kind: "Role", name: "ca-reader" }, [
          { kind: "Group", apiGroup: G, name: "system:unauthenticated" },
        ]),
      ],
    },
    {
      name: "wildcard verbs",
      resources: [role([{ apiGroups: [""], resources: ["configmaps"], verbs: ["*"] }])],
    },
    {
      name: "wildcard resources",
      resources: [role([{ apiGroups: ["*"], resources: ["*"], verbs: ["get"] }], "ClusterRole")],
    },
    {
      name: "pods/exec",
      resources: [role([{ apiGroups: [""], resources: ["pods", "pods/exec"], verbs: ["get", "create"] }])],
    },
    {
      name: "pods/attach",
      resources: [role([{ apiGroups: [""], resources: ["pods/attach"], verbs: ["create"] }])],
    },
    {
      name: "nodes/proxy",
      resources: [role([{ apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] }], "ClusterRole")],
    },
    {
      name: "list/watch every Secret",
      resources: [
        role([{ apiGroups: [""], resources: ["secrets"], verbs: ["list", "watch"] }], "ClusterRole"),
      ],
    },
    {
      name: "Secret read with resourceNames dropped",
      resources: [role([mut(caRead, (r) => delete r.resourceNames)])],
    },
    {
      name: "escalate and bind",
      resources: [
        role([{ apiGroups: [G], resources: ["clusterroles"], verbs: ["escalate", "bind"] }], "ClusterRole"),
      ],
    },
    {
      name: "impersonate",
      resources: [role([{ apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"] }])],
    },
  ],
};
