import { asArray, typeParts, typesOf } from "./k8s.ts";
import { resourceRule } from "./types.ts";

const ROLE_TYPES = [
  ...typesOf("rbac.authorization.k8s.io/Role"),
  ...typesOf("rbac.authorization.k8s.io/ClusterRole"),
];
const BINDING_TYPES = [
  ...typesOf("rbac.authorization.k8s.io/RoleBinding"),
  ...typesOf("rbac.authorization.k8s.io/ClusterRoleBinding"),
];

/** Built-in ClusterRoles that grant pods/exec and read every Secret of a namespace (or the cluster). */
export const BROAD_CLUSTER_ROLES = ["cluster-admin", "admin", "edit"];
/**
 * Subjects no binding of the stack may name: everyone (or every client) talking to the API server, and
 * system:masters, which bypasses RBAC altogether.
 */
export const FORBIDDEN_SUBJECTS = [
  "system:anonymous",
  "system:unauthenticated",
  "system:authenticated",
  "system:masters",
];
/** Verbs that let a holder grant itself more than its role (RBAC's escalation checks are bypassed). */
export const ESCALATING_VERBS = ["escalate", "bind", "impersonate"];
/** Subresources that open a shell or a stream into a container, or proxy to the kubelet. */
export const SHELL_RESOURCES = ["pods/exec", "pods/attach", "pods/*", "nodes/proxy"];
const SECRET_READ = ["get", "list", "watch", "*"];

const celList = (l: readonly string[]) => JSON.stringify(l).replace(/"/g, "'");

function ruleFindings(r: Record<string, any>): string[] {
  const verbs = asArray<string>(r?.verbs);
  const resources = asArray<string>(r?.resources);
  const f: string[] = [];
  if (verbs.includes("*")) f.push("grants every verb (*)");
  if (resources.includes("*")) f.push("grants every resource (*)");
  const esc = verbs.filter((v) => ESCALATING_VERBS.includes(v));
  if (esc.length) f.push(`grants ${esc.join(", ")}`);
  const shell = resources.filter((x) => SHELL_RESOURCES.includes(x));
  if (shell.length) f.push(`grants ${shell.join(", ")}`);
  // With resourceNames, get/list/watch are limited to the named Secrets.
  if (
    resources.includes("secrets") &&
    !asArray(r?.resourceNames).length &&
    verbs.some((v) => SECRET_READ.includes(v))
  )
    f.push("reads every Secret (get/list/watch without resourceNames)");
  return f;
}

export const k8sRbacLeastPrivilege = resourceRule({
  id: "k8s-rbac-least-privilege",
  description:
    "RBAC grants least privilege: no Role/ClusterRole with wildcard verbs or resources, escalate/bind/" +
    "impersonate, pods/exec, pods/attach or nodes/proxy, or Secret get/list/watch without resourceNames; no " +
    "binding to cluster-admin, admin or edit, or of anonymous, unauthenticated, all-authenticated or " +
    "system:masters subjects. " +
    "Covers Kyverno's restrict-binding-clusteradmin, restrict-wildcard-verbs/resources, " +
    "restrict-escalation-verbs-roles, restrict-secret-role-verbs, restrict-clusterrole-nodesproxy and " +
    "restrict-binding-system-groups, and Gatekeeper's k8sdisallowanonymous; stricter than them by design in " +
    "flagging exec/attach whatever the verb and the built-in admin and edit roles as well as cluster-admin. Reviewed exceptions go in exempt. At " +
    "admission it judges only objects labelled part of the stack: Gatekeeper matches cluster-scoped RBAC " +
    "cluster-wide, where Kubernetes' own and the platform charts' roles legitimately hold wildcards.",
  severity: "critical",
  category: "security",
  checklist: [
    { seed: "sentinel", item: 'Security: "Enable RBAC with minimal permissions"' },
    {
      seed: "core",
      item: 'Security > Enable RBAC: "Use least-privilege service accounts", "Restrict cluster-admin access"',
    },
    { seed: "costops", item: 'Best Practices: "Enable RBAC and follow least privilege principle"' },
  ],
  remediation:
    "List the exact verbs and resources a component needs (get/list/watch on named objects; Secrets only by " +
    "resourceNames), bind a namespaced Role to the app's own ServiceAccount instead of cluster-admin/admin/edit, " +
    "never bind system:anonymous, system:unauthenticated, system:authenticated or system:masters, and put a reviewed " +
    "exception's namespace/name (name for cluster-scoped objects) in exempt.",
  types: [...ROLE_TYPES, ...BINDING_TYPES],
  options: { exempt: [] as string[] },
  configSchema: { exempt: { type: "array", items: { type: "string" } } },
  check(props, o, args) {
    const ns = props.metadata?.namespace;
    const key = ns ? `${ns}/${props.metadata?.name}` : `${props.metadata?.name}`;
    if (o.exempt.includes(key)) return [];
    const kind = typeParts(args.type)?.kind;
    if (ROLE_TYPES.includes(args.type))
      return asArray(props.rules).flatMap((r, i) => ruleFindings(r).map((f) => `${kind} rule ${i} ${f}.`));
    const out: string[] = [];
    const ref = props.roleRef ?? {};
    if (ref.kind === "ClusterRole" && BROAD_CLUSTER_ROLES.includes(ref.name))
      out.push(`${kind} grants the built-in ClusterRole ${ref.name}.`);
    for (const s of asArray(props.subjects))
      if (FORBIDDEN_SUBJECTS.includes(s?.name)) out.push(`${kind} binds ${s.name}.`);
    return out;
  },
  gatekeeper: {
    kind: "LlmopsRbacLeastPrivilege",
    // Kubernetes' bootstrap roles (cluster-admin is all wildcards) and the platform charts' ClusterRoles are not
    // the stack's to judge, and Gatekeeper would match them cluster-wide.
    ownedOnly: true,
    match: [
      {
        apiGroups: ["rbac.authorization.k8s.io"],
        kinds: ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"],
      },
    ],
    parameters: { exempt: { type: "array", items: { type: "string" } } },
    params: (c) => ({ exempt: c.exempt }),
    variables: [
      {
        name: "exempt",
        expression:
          "(has(variables.anyObject.metadata.namespace) ? variables.anyObject.metadata.namespace + '/' : '') + " +
          "variables.anyObject.metadata.name in variables.params.exempt",
      },
      {
        name: "rules",
        expression:
          "variables.anyObject.kind in ['Role', 'ClusterRole'] && has(variables.anyObject.rules) ? variables.anyObject.rules : []",
      },
      { name: "verbs", expression: "variables.rules.map(r, has(r.verbs) ? r.verbs : [])" },
      { name: "resources", expression: "variables.rules.map(r, has(r.resources) ? r.resources : [])" },
    ],
    validations: [
      {
        expression:
          "variables.exempt || variables.verbs.all(v, !('*' in v)) && variables.resources.all(x, !('*' in x))",
        message: "role grants wildcard verbs or resources",
      },
      {
        expression: `variables.exempt || variables.verbs.all(v, !v.exists(x, x in ${celList(ESCALATING_VERBS)}))`,
        message: "role grants escalate, bind or impersonate",
      },
      {
        expression: `variables.exempt || variables.resources.all(rs, !rs.exists(x, x in ${celList(SHELL_RESOURCES)}))`,
        message: "role grants pods/exec, pods/attach or nodes/proxy",
      },
      {
        expression:
          "variables.exempt || variables.rules.all(r, !(has(r.resources) && 'secrets' in r.resources && " +
          `(!has(r.resourceNames) || size(r.resourceNames) == 0) && has(r.verbs) && r.verbs.exists(v, v in ${celList(SECRET_READ)})))`,
        message: "role reads every Secret (get/list/watch without resourceNames)",
      },
      {
        expression:
          "variables.exempt || !(variables.anyObject.kind in ['RoleBinding', 'ClusterRoleBinding']) || " +
          `!(variables.anyObject.roleRef.kind == 'ClusterRole' && variables.anyObject.roleRef.name in ${celList(BROAD_CLUSTER_ROLES)})`,
        message: "binding grants cluster-admin, admin or edit",
      },
      {
        expression:
          "variables.exempt || !(variables.anyObject.kind in ['RoleBinding', 'ClusterRoleBinding']) || " +
          `!has(variables.anyObject.subjects) || variables.anyObject.subjects.all(s, !(s.name in ${celList(FORBIDDEN_SUBJECTS)}))`,
        message: "binding names anonymous, unauthenticated, all authenticated or system:masters subjects",
      },
    ],
  },
});
