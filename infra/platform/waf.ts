/**
 * The web application firewall on the north-south path: Coraza (coraza-proxy-wasm) as an Istio
 * WasmPlugin on the ingress gateway's Envoy, running the OWASP Core Rule Set in front of everything the
 * Gateway routes (the router and the trace proxy). dev detects (logs what it would block), prod blocks
 * with 403; the mode is a stack setting (platform.waf.mode) so a rollout can start in detection.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { chartMeta, type PlatformContext } from "./context.ts";
import { GATEWAY_POD_LABELS } from "./gateway.ts";
import { GATEWAY } from "./names.ts";
import { checkDirectives } from "./seclang.ts";
import { WASM_MODULES } from "./versions.ts";

/**
 * LLM prompts (long chats, tool results, base64 images) are far larger than the forms the CRS
 * defaults are sized for; beyond this a request is refused rather than passed uninspected.
 */
export const WAF_REQUEST_BODY_LIMIT = 10 * 1024 * 1024;
/** CRS anomaly thresholds at their documented defaults: one critical match (5) blocks a request. */
export const WAF_ANOMALY_THRESHOLDS = { inbound: 5, outbound: 4 } as const;

export type WafMode = PlatformContext["config"]["platform"]["waf"]["mode"];

/** The directives coraza-proxy-wasm loads, in the order the CRS requires (setup before rules). */
export function wafDirectives(mode: WafMode, paranoiaLevel: number): string[] {
  return [
    // Coraza's recommended base (body access, audit of relevant events); it sets DetectionOnly itself,
    // so the engine mode must come after it.
    "Include @recommended-conf",
    `SecRuleEngine ${mode === "block" ? "On" : "DetectionOnly"}`,
    `SecRequestBodyLimit ${WAF_REQUEST_BODY_LIMIT}`,
    "SecRequestBodyLimitAction Reject",
    // Completions stream as SSE: inspecting response bodies would buffer every stream to its end.
    "SecResponseBodyAccess Off",
    "Include @crs-setup-conf",
    `SecAction "id:900000,phase:1,pass,t:none,nolog,setvar:tx.blocking_paranoia_level=${paranoiaLevel}"`,
    `SecAction "id:900110,phase:1,pass,t:none,nolog,setvar:tx.inbound_anomaly_score_threshold=${WAF_ANOMALY_THRESHOLDS.inbound},setvar:tx.outbound_anomaly_score_threshold=${WAF_ANOMALY_THRESHOLDS.outbound}"`,
    "Include @owasp_crs/*.conf",
  ];
}

export const WAF_PLUGIN = "coraza-waf";

export function installWaf(
  ctx: PlatformContext,
  deps: { istioBase: pulumi.Resource; ingressGateway: pulumi.Resource },
): k8s.apiextensions.CustomResource | undefined {
  const { waf } = ctx.config.platform;
  if (!waf.enabled) return undefined;
  const directives = wafDirectives(waf.mode, waf.paranoiaLevel);
  const problems = checkDirectives(directives);
  if (problems.length)
    throw new Error(
      `WAF directives would not load: ${problems.map((p) => `#${p.line} ${p.directive}: ${p.message}`).join("; ")}`,
    );
  const module = WASM_MODULES.coraza;
  return new k8s.apiextensions.CustomResource(
    `${GATEWAY.namespace}-${WAF_PLUGIN}`,
    {
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "WasmPlugin",
      metadata: chartMeta(ctx, "istioGateway", "waf", WAF_PLUGIN, GATEWAY.namespace, {
        annotations: { "llmops.io/waf-module-version": module.appVersion },
      }),
      spec: {
        selector: { matchLabels: GATEWAY_POD_LABELS },
        url: module.url,
        // istio-agent refuses a module whose image manifest digest differs: the tag cannot move under us.
        sha256: module.sha256,
        imagePullPolicy: "IfNotPresent",
        // Before Istio's own authentication filters: attacks are refused before any other work.
        phase: "AUTHN",
        // Blocking mode fails closed (no uninspected traffic when the module cannot load); detection
        // mode protects nothing, so it must never take the gateway down.
        failStrategy: waf.mode === "block" ? "FAIL_CLOSE" : "FAIL_OPEN",
        type: "HTTP",
        pluginConfig: { directives_map: { default: directives }, default_directives: "default" },
      },
    },
    { parent: ctx.parent, dependsOn: [deps.istioBase, deps.ingressGateway] },
  );
}
