/**
 * A strict structural check of ModSecurity/Coraza directives (SecLang), run on the WAF's config while
 * the program runs: no SecLang parser installs from npm, and Coraza rejects a bad directive only when
 * the gateway loads the module, where it fails every request (FAIL_CLOSE) or none of them (FAIL_OPEN).
 *
 * What it checks: the directive is one it knows, with the arity and value set Coraza accepts; SecRule
 * has variables, an operator and an action list; every action is known and well-formed (id, phase,
 * at most one disruptive action); ids are unique; Include names only the files the module embeds.
 * What it cannot check: the semantics of a regular expression or of a setvar expression.
 */

export interface SecLangProblem {
  line: number;
  directive: string;
  message: string;
}

const ON_OFF = ["On", "Off"];
const ENUM_DIRECTIVES: Record<string, string[]> = {
  SecRuleEngine: ["On", "Off", "DetectionOnly"],
  SecRequestBodyAccess: ON_OFF,
  SecResponseBodyAccess: ON_OFF,
  SecAuditEngine: ["On", "Off", "RelevantOnly"],
  SecRequestBodyLimitAction: ["Reject", "ProcessPartial"],
  SecResponseBodyLimitAction: ["Reject", "ProcessPartial"],
};
const INTEGER_DIRECTIVES = [
  "SecRequestBodyLimit",
  "SecRequestBodyInMemoryLimit",
  "SecRequestBodyNoFilesLimit",
  "SecResponseBodyLimit",
  "SecDebugLogLevel",
];
/** Files coraza-proxy-wasm embeds; a path on disk does not exist inside Envoy's Wasm VM. */
const EMBEDDED_INCLUDES = /^@(recommended-conf|crs-setup-conf|owasp_crs\/([\w.-]+|\*)\.conf)$/;

const OPERATORS = new Set([
  "rx",
  "pm",
  "pmFromFile",
  "streq",
  "contains",
  "containsWord",
  "beginsWith",
  "endsWith",
  "eq",
  "ge",
  "gt",
  "le",
  "lt",
  "within",
  "ipMatch",
  "ipMatchFromFile",
  "detectSQLi",
  "detectXSS",
  "validateByteRange",
  "validateUrlEncoding",
  "validateUtf8Encoding",
  "validateNid",
  "unconditionalMatch",
  "noMatch",
  "strmatch",
  "restpath",
  "geoLookup",
  "rbl",
  "inspectFile",
]);
const DISRUPTIVE = new Set(["pass", "deny", "block", "drop", "allow", "redirect"]);
const FLAG_ACTIONS = new Set([
  ...DISRUPTIVE,
  "log",
  "nolog",
  "auditlog",
  "noauditlog",
  "capture",
  "chain",
  "multiMatch",
]);
const VALUE_ACTIONS = new Set([
  "id",
  "phase",
  "status",
  "msg",
  "logdata",
  "tag",
  "severity",
  "t",
  "setvar",
  "ctl",
  "skipAfter",
  "skip",
  "ver",
  "rev",
  "accuracy",
  "maturity",
  "initcol",
  "expirevar",
  "setenv",
]);
const PHASES = new Set(["1", "2", "3", "4", "5", "request", "response", "logging"]);
const VARIABLE = /^[!&]?[A-Z][A-Z0-9_]*(:(\/[^/]*\/|'[^']*'|[^|:]+))?$/;

/** Splits a directive line into words: bare tokens or double-quoted strings with backslash escapes. */
export function tokenize(line: string): string[] | string {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (/\s/.test(line[i]!)) {
      i++;
      continue;
    }
    if (line[i] === '"') {
      let word = "";
      i++;
      for (;;) {
        if (i >= line.length) return "unterminated double quote";
        const c = line[i]!;
        if (c === "\\" && i + 1 < line.length) {
          word += c + line[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          word += c;
          i++;
        }
      }
      if (i < line.length && !/\s/.test(line[i]!)) return "a quoted argument runs into the next one";
      out.push(word);
    } else {
      let word = "";
      while (i < line.length && !/\s/.test(line[i]!)) word += line[i++];
      out.push(word);
    }
  }
  return out;
}

/** Splits an action list on commas outside single quotes. */
function splitActions(list: string): string[] | string {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const c of list) {
    if (c === "'") quoted = !quoted;
    if (c === "," && !quoted) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (quoted) return "unterminated single quote in the action list";
  out.push(cur.trim());
  return out;
}

interface Actions {
  id?: string;
  phase?: string;
  chain: boolean;
}

function checkActions(list: string, problems: string[]): Actions {
  const result: Actions = { chain: false };
  const parts = splitActions(list);
  if (typeof parts === "string") {
    problems.push(parts);
    return result;
  }
  const disruptive: string[] = [];
  for (const part of parts) {
    const m = /^([A-Za-z]+)(?::(.*))?$/s.exec(part);
    if (!m) {
      problems.push(`malformed action '${part}'`);
      continue;
    }
    const [, name, value] = m as unknown as [string, string, string | undefined];
    if (FLAG_ACTIONS.has(name)) {
      if (DISRUPTIVE.has(name)) disruptive.push(name);
      if (name === "chain") result.chain = true;
      if (value !== undefined && name !== "redirect") problems.push(`action '${name}' takes no value`);
      continue;
    }
    if (!VALUE_ACTIONS.has(name)) {
      problems.push(`unknown action '${name}'`);
      continue;
    }
    if (value === undefined || value === "") {
      problems.push(`action '${name}' needs a value`);
      continue;
    }
    if (name === "id") {
      if (!/^\d+$/.test(value)) problems.push(`id '${value}' is not a positive integer`);
      result.id = value;
    }
    if (name === "phase") {
      if (!PHASES.has(value)) problems.push(`phase '${value}' is not 1-5, request, response or logging`);
      result.phase = value;
    }
    if (name === "status" && !/^[1-5]\d\d$/.test(value))
      problems.push(`status '${value}' is not an HTTP status`);
    if (["msg", "logdata", "tag", "ver"].includes(name) && /^'/.test(value) && !/^'.*'$/s.test(value))
      problems.push(`action '${name}' has an unbalanced quote`);
    if (name === "setvar" && !/^'?!?[a-z]+\.[\w.-]+(=.*)?'?$/is.test(value))
      problems.push(`setvar '${value}' is not collection.variable[=value]`);
  }
  if (disruptive.length > 1) problems.push(`more than one disruptive action (${disruptive.join(", ")})`);
  return result;
}

function checkOperator(op: string, problems: string[]) {
  const m = /^!?@(\w+)(?:\s|$)/.exec(op);
  // A bare pattern is an implicit @rx.
  if (!op.startsWith("@") && !op.startsWith("!@")) return;
  if (!m || !OPERATORS.has(m[1]!)) problems.push(`unknown operator '${op.split(/\s/)[0]}'`);
}

/** Every problem in a list of directives (one directive per entry, as coraza-proxy-wasm takes them). */
export function checkDirectives(directives: readonly string[]): SecLangProblem[] {
  const problems: SecLangProblem[] = [];
  const ids = new Map<string, number>();
  let chained = false;
  directives.forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trim();
    if (text === "" || text.startsWith("#")) return;
    const words = tokenize(text);
    const local: string[] = [];
    const directive = typeof words === "string" ? text.split(/\s/)[0]! : words[0]!;
    if (typeof words === "string") {
      problems.push({ line, directive, message: words });
      return;
    }
    const args = words.slice(1);
    const arity = (min: number, max: number) => {
      if (args.length < min || args.length > max)
        local.push(`takes ${min === max ? min : `${min}-${max}`} argument(s), got ${args.length}`);
    };
    const register = (a: Actions, needsId: boolean) => {
      if (needsId && !a.id) local.push("needs an id action");
      if (needsId && !a.phase && directive === "SecRule") local.push("needs a phase action");
      if (a.id) {
        const seen = ids.get(a.id);
        if (seen) local.push(`id ${a.id} already used on line ${seen}`);
        else ids.set(a.id, line);
      }
    };
    if (directive in ENUM_DIRECTIVES) {
      arity(1, 1);
      if (args[0] !== undefined && !ENUM_DIRECTIVES[directive]!.includes(args[0]))
        local.push(`'${args[0]}' is not one of ${ENUM_DIRECTIVES[directive]!.join(", ")}`);
    } else if (INTEGER_DIRECTIVES.includes(directive)) {
      arity(1, 1);
      if (args[0] !== undefined && !/^\d+$/.test(args[0])) local.push(`'${args[0]}' is not an integer`);
    } else if (directive === "Include") {
      arity(1, 1);
      if (args[0] !== undefined && !EMBEDDED_INCLUDES.test(args[0]))
        local.push(`'${args[0]}' is not a file the Wasm module embeds`);
    } else if (directive === "SecAuditLogParts") {
      arity(1, 1);
      if (args[0] !== undefined && !/^[A-KZ]+$/.test(args[0]))
        local.push(`'${args[0]}' is not a set of parts A-K, Z`);
    } else if (directive === "SecRuleRemoveById") {
      if (args.length === 0) local.push("needs at least one id or range");
      for (const a of args) if (!/^\d+(-\d+)?$/.test(a)) local.push(`'${a}' is not an id or range`);
    } else if (directive === "SecAction" || directive === "SecDefaultAction") {
      arity(1, 1);
      if (args[0] !== undefined) register(checkActions(args[0], local), directive === "SecAction");
    } else if (directive === "SecRule") {
      arity(2, 3);
      if (args.length >= 2) {
        for (const v of args[0]!.split("|"))
          if (!VARIABLE.test(v)) local.push(`'${v}' is not a variable (NAME, NAME:selector, !NAME, &NAME)`);
        checkOperator(args[1]!, local);
        const actions = args[2] !== undefined ? checkActions(args[2], local) : { chain: false };
        // A rule continuing a chain carries no id or phase of its own.
        register(actions, !chained);
        chained = actions.chain;
        problems.push(...local.map((message) => ({ line, directive, message })));
        return;
      }
    } else {
      local.push("unknown directive");
    }
    if (chained && directive !== "SecRule") local.push("a chain must continue with a SecRule");
    chained = false;
    problems.push(...local.map((message) => ({ line, directive, message })));
  });
  if (chained)
    problems.push({ line: directives.length, directive: "SecRule", message: "chain never continued" });
  return problems;
}
