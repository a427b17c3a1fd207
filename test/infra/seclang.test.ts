/**
 * The WAF's directives as Coraza will read them: the structural SecLang check the plan runs on the
 * gateway's WasmPlugin config (no SecLang parser installs from npm), specified on what it must accept
 * (the platform's own directives in both modes, real CRS-style rules) and what it must refuse.
 */
import { describe, expect, it } from "vitest";
import { checkDirectives, tokenize } from "../../infra/platform/seclang.ts";
import { wafDirectives } from "../../infra/platform/waf.ts";

const messages = (d: string[]) => checkDirectives(d).map((p) => `${p.directive}: ${p.message}`);

describe("the platform's WAF directives", () => {
  it.each([
    ["detect", 1],
    ["block", 1],
    ["block", 4],
  ] as const)("%s, paranoia %i: every directive is well-formed", (mode, level) => {
    expect(checkDirectives(wafDirectives(mode, level))).toEqual([]);
  });

  it("sets the engine after Coraza's recommended base (which sets DetectionOnly itself)", () => {
    for (const [mode, engine] of [
      ["detect", "SecRuleEngine DetectionOnly"],
      ["block", "SecRuleEngine On"],
    ] as const) {
      const d = wafDirectives(mode, 1);
      expect(d.indexOf(engine)).toBeGreaterThan(d.indexOf("Include @recommended-conf"));
      expect(d.filter((x) => x.startsWith("SecRuleEngine"))).toEqual([engine]);
    }
  });

  it("configures the CRS between its setup file and its rules", () => {
    const d = wafDirectives("block", 2);
    const setup = d.indexOf("Include @crs-setup-conf");
    const rules = d.indexOf("Include @owasp_crs/*.conf");
    const paranoia = d.findIndex((x) => x.includes("tx.blocking_paranoia_level=2"));
    expect(setup).toBeGreaterThanOrEqual(0);
    expect(paranoia).toBeGreaterThan(setup);
    expect(rules).toBeGreaterThan(paranoia);
    expect(d).toContain("SecResponseBodyAccess Off");
  });
});

describe("the SecLang check accepts what Coraza accepts", () => {
  it("CRS-style rules: chains, quoted actions, variable selectors, negations, implicit @rx", () => {
    expect(
      messages([
        'SecRule REQUEST_HEADERS:Content-Type "@rx ^application/json" "id:1001,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"',
        'SecRule &REQUEST_HEADERS:Host "@eq 0" "id:1002,phase:1,deny,status:400,log,msg:\'Missing Host, refused\'"',
        'SecRule ARGS|!ARGS:prompt "@detectSQLi" "id:1003,phase:2,block,t:none,t:urlDecodeUni,tag:\'attack-sqli\',chain"',
        'SecRule MATCHED_VARS "!@streq safe" "t:none,setvar:tx.anomaly_score=+5"',
        'SecRule REQUEST_URI "^/admin" "id:1004,phase:1,deny,status:403"',
        "SecRuleRemoveById 920350 941100-941999",
      ]),
    ).toEqual([]);
  });

  it("tokenizes quoted arguments with escaped quotes", () => {
    expect(tokenize('SecRule ARGS "@rx a\\"b" "id:1,phase:1,pass"')).toEqual([
      "SecRule",
      "ARGS",
      '@rx a\\"b',
      "id:1,phase:1,pass",
    ]);
  });
});

describe("the SecLang check refuses what would fail at load time", () => {
  it.each([
    ["an unknown directive", ["SecRulesEngine On"], "unknown directive"],
    ["an engine value Coraza lacks", ["SecRuleEngine Block"], "'Block' is not one of"],
    ["a non-integer limit", ["SecRequestBodyLimit 10MB"], "is not an integer"],
    ["a file the module does not embed", ["Include /etc/crs/*.conf"], "not a file the Wasm module embeds"],
    ["an unterminated quote", ['SecAction "id:1,phase:1,pass'], "unterminated double quote"],
    ["a rule without an id", ['SecRule ARGS "@rx x" "phase:1,deny"'], "needs an id action"],
    ["a rule without a phase", ['SecRule ARGS "@rx x" "id:7,deny"'], "needs a phase action"],
    ["two disruptive actions", ['SecRule ARGS "@rx x" "id:7,phase:1,deny,pass"'], "more than one disruptive"],
    ["an unknown action", ['SecAction "id:8,phase:1,pass,explode"'], "unknown action 'explode'"],
    ["an unknown operator", ['SecRule ARGS "@regex x" "id:9,phase:1,deny"'], "unknown operator '@regex'"],
    ["a malformed variable", ['SecRule args "@rx x" "id:10,phase:1,deny"'], "is not a variable"],
    ["a bad phase", ['SecAction "id:11,phase:6,pass"'], "phase '6'"],
    ["a bad status", ['SecRule ARGS "@rx x" "id:12,phase:1,deny,status:99"'], "not an HTTP status"],
    ["a bad setvar", ['SecAction "id:13,phase:1,pass,setvar:score"'], "setvar 'score'"],
    ["a chain never continued", ['SecRule ARGS "@rx x" "id:14,phase:1,deny,chain"'], "chain never continued"],
    ["a missing operator", ["SecRule ARGS"], "takes 2-3 argument(s)"],
  ])("%s", (_what, directives, message) => {
    expect(messages(directives).join("\n")).toContain(message);
  });

  it("a duplicate id, naming the first use", () => {
    expect(
      messages(['SecAction "id:900000,phase:1,pass"', 'SecAction "id:900000,phase:1,pass"']).join("\n"),
    ).toContain("id 900000 already used on line 1");
  });
});
