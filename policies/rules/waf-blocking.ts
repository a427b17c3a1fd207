import { asArray, nsOf } from "./k8s.ts";
import { stackRule } from "./types.ts";

const WASM_PLUGIN = /^kubernetes:extensions\.istio\.io\/v1(alpha1|beta1)?:WasmPlugin$/;
const GATEWAY = /^kubernetes:gateway\.networking\.k8s\.io\/v1(beta1)?:Gateway$/;

/** The directives a coraza-proxy-wasm plugin loads by default (directives_map[default_directives]). */
function corazaDirectives(spec: Record<string, any>): string[] | undefined {
  const cfg = spec.pluginConfig ?? {};
  if (Array.isArray(cfg.directives_map?.[cfg.default_directives]))
    return cfg.directives_map[cfg.default_directives];
  if (Array.isArray(cfg.rules)) return cfg.rules;
  return undefined;
}

/** The engine mode the directives end in (later SecRuleEngine lines win, as in Coraza). */
export function engineMode(directives: string[]): string | undefined {
  let mode: string | undefined;
  for (const d of directives) {
    const m = /^\s*SecRuleEngine\s+(\S+)/.exec(d);
    if (m) mode = m[1];
  }
  return mode;
}

export const wafBlocking = stackRule({
  id: "waf-blocking",
  description:
    "Every namespace with a public Gateway runs a Coraza WasmPlugin (OWASP Core Rule Set) whose engine blocks " +
    "(SecRuleEngine On) and that fails closed, so no request reaches the services uninspected.",
  severity: "high",
  category: "reliability",
  checklist: [
    { seed: "core", item: 'Ingress Controller: "ModSecurity WAF with OWASP CRS"' },
    { seed: "sentinel", item: 'Security: "Use TLS/SSL for all external connections"' },
  ],
  remediation:
    "Set platform.waf.enabled true and platform.waf.mode block (the prod default): the platform then installs " +
    "the WasmPlugin coraza-waf with SecRuleEngine On and failStrategy FAIL_CLOSE on the ingress gateway.",
  options: { requireCoreRuleSet: true },
  configSchema: { requireCoreRuleSet: { type: "boolean" } },
  check(args, o) {
    const out: { urn: string; message: string }[] = [];
    const plugins = args.resources.filter((r) => WASM_PLUGIN.test(r.type));
    for (const gw of args.resources.filter((r) => GATEWAY.test(r.type))) {
      const ns = nsOf(gw.props, gw.provider);
      const waf = plugins.filter(
        (p) => nsOf(p.props, p.provider) === ns && /coraza/i.test(String(p.props.spec?.url ?? "")),
      );
      if (waf.length === 0) {
        out.push({
          urn: gw.urn,
          message: `Gateway ${ns}/${gw.props.metadata?.name}: no Coraza WasmPlugin in front of it.`,
        });
        continue;
      }
      for (const p of waf) {
        const name = `${ns}/${p.props.metadata?.name}`;
        const directives = corazaDirectives(p.props.spec ?? {});
        if (!directives) {
          out.push({ urn: p.urn, message: `WasmPlugin ${name} carries no directives.` });
          continue;
        }
        const mode = engineMode(directives);
        if (mode !== "On")
          out.push({
            urn: p.urn,
            message: `WasmPlugin ${name}: SecRuleEngine is ${mode ?? "unset"}, so nothing is blocked.`,
          });
        // Istio's default is FAIL_CLOSE.
        const strategy = p.props.spec?.failStrategy ?? "FAIL_CLOSE";
        if (strategy !== "FAIL_CLOSE")
          out.push({
            urn: p.urn,
            message: `WasmPlugin ${name}: failStrategy ${strategy} lets traffic through uninspected when the module fails.`,
          });
        if (
          o.requireCoreRuleSet &&
          !asArray<string>(directives).some((d) => /^\s*Include\s+@owasp_crs\//.test(d))
        )
          out.push({
            urn: p.urn,
            message: `WasmPlugin ${name} does not load the OWASP Core Rule Set (@owasp_crs).`,
          });
      }
    }
    return out;
  },
});
