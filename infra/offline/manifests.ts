/**
 * Every Kubernetes object the program registers, as the manifest the API server would receive,
 * validated against its OpenAPI schema: kubernetes-models for built-in kinds and for the CRD
 * groups that have a @kubernetes-models package, vendored CRD schemas (infra/offline/schemas) for
 * the rest. A kind with no schema anywhere is reported as unvalidated, never silently passed.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import type { InventoryResource } from "./inventory.ts";

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ValidationResult {
  manifest: Manifest;
  urn: string;
  /** "kubernetes-models", "@kubernetes-models/<pkg>", "vendored" or undefined when no schema exists. */
  schemaSource?: string;
  errors: string[];
}

/** Resource types that are Kubernetes tooling, not objects sent to the API server. */
const NOT_OBJECTS =
  /^(pulumi:providers:kubernetes|kubernetes:helm\.sh\/v\d:(Release|Chart)|kubernetes:yaml(\/v2)?:|kubernetes:kustomize)/;

export function kubernetesObjects(resources: InventoryResource[]): { urn: string; manifest: Manifest }[] {
  return resources
    .filter((r) => r.type.startsWith("kubernetes:") && !NOT_OBJECTS.test(r.type))
    .filter((r) => typeof r.inputs.apiVersion === "string" && typeof r.inputs.kind === "string")
    .map((r) => ({ urn: r.urn, manifest: r.inputs as Manifest }));
}

/** CRD API groups covered by a @kubernetes-models package. */
const CRD_PACKAGES: Record<string, string> = {
  "cert-manager.io": "@kubernetes-models/cert-manager",
  "acme.cert-manager.io": "@kubernetes-models/cert-manager",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "gateway.networking.k8s.io": "@kubernetes-models/gateway-api",
  "networking.istio.io": "@kubernetes-models/istio",
  "security.istio.io": "@kubernetes-models/istio",
  "telemetry.istio.io": "@kubernetes-models/istio",
  "extensions.istio.io": "@kubernetes-models/istio",
  "keda.sh": "@kubernetes-models/keda",
  "external-secrets.io": "@kubernetes-models/external-secrets",
  "generators.external-secrets.io": "@kubernetes-models/external-secrets",
};

const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), "schemas");

type Validate = (m: Manifest) => string[];

async function modelValidator(specifier: string): Promise<Validate | undefined> {
  let mod: Record<string, new (data: unknown) => { validate(): void }>;
  try {
    mod = await import(specifier);
  } catch {
    return undefined;
  }
  const kind = specifier.split("/").pop()!;
  const Model = mod[kind];
  if (!Model) return undefined;
  return (m) => {
    try {
      new Model(m).validate();
      return [];
    } catch (err) {
      return String((err as Error).message)
        .split(/,\s*(?=data)/)
        .map((e) => e.trim());
    }
  };
}

/**
 * CRD patterns are Go (RE2) regular expressions; the one-letter Unicode classes RE2 allows without
 * braces (\PC: not a control character) are \P{C} in a JavaScript unicode pattern.
 */
function goPatternsToJs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(goPatternsToJs);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === "pattern" && typeof v === "string"
        ? v.replace(/\\([pP])([A-Z])/g, "\\$1{$2}")
        : goPatternsToJs(v),
    ]),
  );
}

let ajv: Ajv | undefined;
function vendoredValidator(group: string, version: string, kind: string): Validate | undefined {
  const file = join(SCHEMA_DIR, `${group}_${version}_${kind}.json`);
  if (!existsSync(file)) return undefined;
  // CRD schemas are OpenAPI v3 with x-kubernetes-* extensions; strict mode would reject those keywords.
  ajv ??= new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const schema = goPatternsToJs(JSON.parse(readFileSync(file, "utf8"))) as { required?: string[] };
  // metadata is the API server's own (checked below for a name), not the CRD schema's to validate.
  if (schema.required) schema.required = schema.required.filter((r) => r !== "metadata");
  const check = ajv.compile(schema);
  return (m) => {
    // apiVersion/kind/metadata are the API server's own; CRD schemas describe spec and status.
    const { metadata: _metadata, ...body } = m;
    return check(body)
      ? []
      : (check.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "invalid"}`);
  };
}

const cache = new Map<string, Promise<{ validate?: Validate; source?: string }>>();

async function validatorFor(
  apiVersion: string,
  kind: string,
): Promise<{ validate?: Validate; source?: string }> {
  const key = `${apiVersion}/${kind}`;
  let entry = cache.get(key);
  if (!entry) {
    entry = (async () => {
      const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
      const pkg = group ? CRD_PACKAGES[group] : undefined;
      const builtIn = !group?.includes(".") || (group.endsWith(".k8s.io") && !pkg);
      if (builtIn) {
        const v = await modelValidator(`kubernetes-models/${group ? `${group}/` : ""}${version}/${kind}`);
        if (v) return { validate: v, source: "kubernetes-models" };
      }
      if (pkg) {
        const v = await modelValidator(`${pkg}/${group}/${version}/${kind}`);
        if (v) return { validate: v, source: pkg };
      }
      const vendored = vendoredValidator(group!, version!, kind);
      if (vendored) return { validate: vendored, source: "vendored CRD schema" };
      return {};
    })();
    cache.set(key, entry);
  }
  return entry;
}

export async function validateManifests(
  objects: { urn: string; manifest: Manifest }[],
): Promise<ValidationResult[]> {
  return Promise.all(
    objects.map(async ({ urn, manifest }) => {
      const { validate, source } = await validatorFor(manifest.apiVersion, manifest.kind);
      const errors = validate ? validate(manifest) : [];
      if (!manifest.metadata?.name)
        errors.push("metadata.name is required (explicit names keep DNS and references stable)");
      return { manifest, urn, schemaSource: source, errors };
    }),
  );
}

/** Stable file name: manifests/<namespace or _cluster>/<kind>-<name>.yaml */
export function manifestPath(m: Manifest): string {
  const ns = m.metadata?.namespace ?? "_cluster";
  const group = m.apiVersion.includes("/") ? `.${m.apiVersion.split("/")[0]}` : "";
  return join(ns, `${m.kind.toLowerCase()}${group}-${m.metadata?.name ?? "unnamed"}.yaml`);
}
