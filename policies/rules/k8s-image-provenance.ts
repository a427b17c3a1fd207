import {
  CEL_ALL_CONTAINERS,
  CEL_CONTAINERS,
  CEL_POD_SPEC,
  containersOf,
  podSpecOf,
  WORKLOAD_MATCH,
  WORKLOAD_TYPES,
} from "./k8s.ts";
import { resourceRule } from "./types.ts";

/** name:tag (tag not "latest"), with or without a digest. Same patterns in TS and CEL (RE2-compatible). */
export const TAG_RE = "^([^/@]+/)*[^/:@]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?$";
export const DIGEST_RE = "@sha256:[a-f0-9]{64}$";
export const LATEST_RE = ":latest(@|$)";

const norm = (rs: string[]) => rs.map((r) => r.replace(/\/+$/, "")).filter(Boolean);

export function imageFindings(image: unknown, allowed: string[], requireDigest: boolean): string[] {
  if (typeof image !== "string" || image === "") return ["has no image"];
  const f: string[] = [];
  const digest = new RegExp(DIGEST_RE).test(image);
  const tagged = new RegExp(TAG_RE).test(image) && !new RegExp(LATEST_RE).test(image);
  if (requireDigest ? !digest : !(digest || tagged))
    f.push(`image "${image}" is not pinned to ${requireDigest ? "a digest" : "a version tag or digest"}`);
  if (!norm(allowed).some((r) => image.startsWith(`${r}/`)))
    f.push(
      `image "${image}" is not from an allowed registry (${norm(allowed).join(", ") || "none configured"})`,
    );
  return f;
}

const PINNED =
  `(variables.params.requireDigest ? c.image.matches(${JSON.stringify(DIGEST_RE)}) : ` +
  `(c.image.matches(${JSON.stringify(DIGEST_RE)}) || (c.image.matches(${JSON.stringify(TAG_RE)}) && !c.image.matches(${JSON.stringify(LATEST_RE)}))))`;
const ALLOWED = "variables.params.allowedRegistries.exists(r, c.image.startsWith(r + '/'))";

export const k8sImageProvenance = resourceRule({
  id: "k8s-image-provenance",
  description:
    "Container images are pinned (version tag, never latest, or digest) and come from allowed registries. " +
    "Looser than Polaris by design: imagePullPolicy is not required to be Always (pinned tags from the " +
    "stack's own registry are immutable; requireDigest pins by content where that is not enough).",
  severity: "high",
  category: "security",
  checklist: [
    { seed: "core", item: 'OPA Gatekeeper: "Allowed container registries", "No latest tags"' },
    { seed: "sentinel", item: 'Security: "Use private container registries"' },
    { seed: "costops", item: 'Best Practices: "Always use version tags" in production (not latest)' },
  ],
  remediation:
    "Reference images as <allowed-registry>/<repo>:<version> or @sha256:<digest>; push third-party images " +
    "to the platform registry or add the registry to allowedRegistries in the policy config.",
  types: WORKLOAD_TYPES,
  options: { allowedRegistries: [] as string[], requireDigest: false },
  configSchema: {
    allowedRegistries: { type: "array", items: { type: "string" } },
    requireDigest: { type: "boolean" },
  },
  check(props, o, args) {
    const out: string[] = [];
    for (const { c, label } of containersOf(podSpecOf(args.type, props)))
      for (const f of imageFindings(c?.image, o.allowedRegistries, o.requireDigest))
        out.push(`${label} ${f}.`);
    return out;
  },
  gatekeeper: {
    kind: "LlmopsImageProvenance",
    match: WORKLOAD_MATCH,
    parameters: {
      allowedRegistries: { type: "array", items: { type: "string" } },
      requireDigest: { type: "boolean" },
    },
    params: (c) => ({ allowedRegistries: norm(c.allowedRegistries ?? []), requireDigest: !!c.requireDigest }),
    variables: [CEL_POD_SPEC, CEL_CONTAINERS, CEL_ALL_CONTAINERS],
    validations: [
      {
        expression: `variables.allContainers.all(c, has(c.image) && ${PINNED})`,
        messageExpression:
          `'images not pinned to a version tag or digest: ' + variables.allContainers.filter(c, ` +
          `!(has(c.image) && ${PINNED})).map(c, has(c.image) ? c.image : c.name).join(', ')`,
      },
      {
        expression: `variables.allContainers.all(c, has(c.image) && ${ALLOWED})`,
        messageExpression:
          `'images from registries outside ' + variables.params.allowedRegistries.join(', ') + ': ' + ` +
          `variables.allContainers.filter(c, !(has(c.image) && ${ALLOWED})).map(c, has(c.image) ? c.image : c.name).join(', ')`,
      },
    ],
  },
});
