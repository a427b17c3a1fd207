import {
  asArray,
  CEL_ALL_CONTAINERS,
  CEL_CONTAINERS,
  CEL_POD_SPEC,
  containersOf,
  podSpecOf,
  WORKLOAD_MATCH,
  WORKLOAD_TYPES,
} from "./k8s.ts";
import { resourceRule } from "./types.ts";

/**
 * Key names that hold credentials, as separator-delimited words in any case (AZURE_OPENAI_KEY, db.password,
 * api-key). RE2/JS compatible (also used in the Gatekeeper CEL).
 */
export const SECRET_KEY_RE =
  "(?i)(^|[_.-])(pass(word|wd|phrase)?|secrets?|tokens?|api[_.-]?keys?|private[_.-]?key|credentials?|" +
  "access[_.-]?keys?|auth[_.-]?keys?|keys?|dsn|connection[_.-]?string)([_.-]|$)";
/** The same words as the last part of a camelCase name (openaiApiKey, clientSecret); case-sensitive. */
export const SECRET_CAMEL_RE =
  "[a-z0-9](Pass(word|wd|phrase)?|Secrets?|Tokens?|Keys?|Credentials?|Dsn|ConnectionString)([A-Z0-9_.-]|$)";
/** Values that look like credentials whatever their key. */
export const SECRET_VALUE_RE =
  "(-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|sk-[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|" +
  "xox[baprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|[a-z][a-z0-9+.-]*://[^/:@ ]+:[^/@ ]+@)";
/** Values that are clearly not secrets (placeholders, references). */
const HARMLESS_RE = "^(|true|false|[0-9]+|\\$\\(.*\\)|/.*)$";

const toJsRe = (re: string) => (re.startsWith("(?i)") ? new RegExp(re.slice(4), "i") : new RegExp(re));
const keyRe = toJsRe(SECRET_KEY_RE);
const camelRe = toJsRe(SECRET_CAMEL_RE);
const valRe = toJsRe(SECRET_VALUE_RE);
const harmlessRe = toJsRe(HARMLESS_RE);

export function looksSecret(key: string, value: unknown): boolean {
  if (typeof value !== "string") return false;
  if (valRe.test(value)) return true;
  return (keyRe.test(key) || camelRe.test(key)) && !harmlessRe.test(value);
}

const CM = "kubernetes:core/v1:ConfigMap";

export const k8sNoSecretLiterals = resourceRule({
  id: "k8s-no-secret-literals",
  description:
    "No credentials as literals in container env or ConfigMaps: secrets come from Secret references " +
    "(ExternalSecret-managed). A literal is suspect by its value (private keys, cloud/API key and token " +
    "formats, URLs with credentials) or by its name (a password/secret/token/key/credential/DSN word, with " +
    "separators or camelCase, e.g. AZURE_OPENAI_KEY, openaiApiKey). Looser than a secret scanner by design: " +
    "booleans, numbers, $(VAR) references and absolute paths under such names pass (KAFKA_SSL_KEY_FILE=/etc/...).",
  severity: "critical",
  category: "security",
  checklist: [
    { seed: "sentinel", item: 'Configuration: "Externalize all secrets"' },
    { seed: "router", item: '"Replace all placeholder secrets"' },
    { seed: "core", item: 'Security > Secrets Management: "Never commit secrets to git"' },
  ],
  remediation:
    "Move the value into the cloud secret store, sync it with an ExternalSecret and reference it with " +
    "env[].valueFrom.secretKeyRef (or envFrom.secretRef); keep ConfigMaps for non-secret settings.",
  types: [...WORKLOAD_TYPES, CM],
  check(props, _o, args) {
    const out: string[] = [];
    if (args.type === CM) {
      for (const [k, v] of Object.entries(props.data ?? {}))
        if (looksSecret(k, v)) out.push(`ConfigMap key "${k}" holds a secret-looking literal.`);
      return out;
    }
    for (const { c, label } of containersOf(podSpecOf(args.type, props)))
      for (const e of asArray(c?.env))
        if (e?.value !== undefined && looksSecret(String(e.name ?? ""), e.value))
          out.push(`${label} env "${e.name}" holds a secret-looking literal; use valueFrom.secretKeyRef.`);
    return out;
  },
  gatekeeper: {
    kind: "LlmopsNoSecretLiterals",
    match: [...WORKLOAD_MATCH, { apiGroups: [""], kinds: ["ConfigMap"] }],
    parameters: {},
    params: () => ({}),
    variables: [
      // podSpec is only evaluated (lazily) for workloads; ConfigMaps short-circuit to no containers.
      CEL_POD_SPEC,
      {
        name: "containers",
        expression: `variables.anyObject.kind == 'ConfigMap' ? [] : (${CEL_CONTAINERS.expression})`,
      },
      {
        name: "allContainers",
        expression: `variables.anyObject.kind == 'ConfigMap' ? [] : (${CEL_ALL_CONTAINERS.expression})`,
      },
    ],
    validations: [
      {
        expression:
          "variables.anyObject.kind != 'ConfigMap' || !has(variables.anyObject.data) || " +
          `variables.anyObject.data.all(k, !(variables.anyObject.data[k].matches(${JSON.stringify(SECRET_VALUE_RE)}) || ` +
          `((k.matches(${JSON.stringify(SECRET_KEY_RE)}) || k.matches(${JSON.stringify(SECRET_CAMEL_RE)})) && !variables.anyObject.data[k].matches(${JSON.stringify(HARMLESS_RE)}))))`,
        message: "ConfigMap holds a secret-looking literal; use a Secret (ExternalSecret) instead",
      },
      {
        expression:
          "variables.anyObject.kind == 'ConfigMap' || variables.allContainers.all(c, !has(c.env) || c.env.all(e, " +
          `!has(e.value) || !(e.value.matches(${JSON.stringify(SECRET_VALUE_RE)}) || ((e.name.matches(${JSON.stringify(SECRET_KEY_RE)}) || e.name.matches(${JSON.stringify(SECRET_CAMEL_RE)})) && ` +
          `!e.value.matches(${JSON.stringify(HARMLESS_RE)})))))`,
        message: "container env holds a secret-looking literal; use valueFrom.secretKeyRef",
      },
    ],
  },
});
