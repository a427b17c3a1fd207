import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

const gw = () => res(T.gw, "public", F.gateway());
const waf = (f: (p: any) => void = () => {}) => res(T.wasm, "coraza-waf", mut(F.wasmPlugin(), f));

export const fixtures: RuleFixtures = {
  good: [
    { name: "gateway behind a blocking, fail-closed Coraza with the CRS", resources: [gw(), waf()] },
    {
      name: "failStrategy unset (Istio's default is FAIL_CLOSE)",
      resources: [gw(), waf((p) => delete p.spec.failStrategy)],
    },
    { name: "no Gateway, nothing to guard", resources: [res(T.deploy, "router", F.deployment())] },
  ],
  bad: [
    { name: "a Gateway with no WAF", resources: [gw()] },
    {
      name: "detection only",
      resources: [
        gw(),
        waf((p) => (p.spec.pluginConfig.directives_map.default[1] = "SecRuleEngine DetectionOnly")),
      ],
    },
    {
      name: "blocking switched off again by a later directive",
      resources: [gw(), waf((p) => p.spec.pluginConfig.directives_map.default.push("SecRuleEngine Off"))],
    },
    { name: "fails open", resources: [gw(), waf((p) => (p.spec.failStrategy = "FAIL_OPEN"))] },
    {
      name: "no Core Rule Set",
      resources: [
        gw(),
        waf(
          (p) =>
            (p.spec.pluginConfig.directives_map.default = p.spec.pluginConfig.directives_map.default.filter(
              (d: string) => !d.includes("@owasp_crs"),
            )),
        ),
      ],
    },
    {
      name: "the WAF sits in another namespace than the Gateway",
      resources: [gw(), waf((p) => (p.metadata.namespace = "llmops"))],
    },
  ],
};
