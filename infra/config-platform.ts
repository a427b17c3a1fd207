/**
 * The platform's optional pieces (WAF, VerticalPodAutoscaler, backups, tracing) and Grafana's single
 * sign-on: their stack keys, their schema and their per-environment defaults, resolved once while the
 * stack config is parsed (config.ts) so the platform and apps layers receive plain, complete settings.
 *
 * Defaults (docs/operations.md repeats them):
 *
 *   key                          dev            prod
 *   platform.waf.enabled         true           true
 *   platform.waf.mode            detect         block
 *   platform.waf.paranoiaLevel   1              1
 *   platform.vpa.enabled         true           true
 *   platform.backups.enabled     false          true      (dev state is disposable; Velero is heavy)
 *   platform.backups.schedule    0 3 * * *      0 3 * * *  (UTC)
 *   platform.backups.ttlDays     7              30
 *   platform.tracing.enabled     true           true      (collector + Tempo; services export OTLP spans)
 *   platform.tracing.objectStorage false        true      (Tempo's blocks in the cloud's object storage; dev: a volume)
 */
import { z } from "zod";
import type { Environment } from "./config.ts";

/** Five-field cron (Velero's schedule syntax), minutes to weekdays. */
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const cron = z.string().refine((s) => {
  const fields = s.trim().split(/\s+/);
  return fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
}, "a five-field cron expression such as '0 3 * * *' (numbers, ranges, lists, steps or '*')");

export const platformFields = z.strictObject({
  waf: z
    .strictObject({
      enabled: z.boolean().optional(),
      /** detect logs what the Core Rule Set would block; block refuses it with 403. */
      mode: z.enum(["detect", "block"]).optional(),
      /** OWASP CRS paranoia level: 1 has the fewest false positives, 4 the most coverage. */
      paranoiaLevel: z.int().min(1).max(4).optional(),
    })
    .default({}),
  vpa: z.strictObject({ enabled: z.boolean().optional() }).default({}),
  backups: z
    .strictObject({
      enabled: z.boolean().optional(),
      schedule: cron.optional(),
      ttlDays: z.int().min(1).max(365).optional(),
    })
    .default({}),
  /** OpenTelemetry Collector + Grafana Tempo; when on, every service exports its spans to the collector. */
  tracing: z
    .strictObject({
      enabled: z.boolean().optional(),
      /** Tempo's blocks in a bucket of the cloud's object storage (workload identity) instead of its volume. */
      objectStorage: z.boolean().optional(),
    })
    .default({}),
});

/**
 * Grafana login through the organisation's OpenID Connect provider. The client secret is a stack
 * secret; the cloud layer stores it in the secret store and external-secrets hands it to Grafana.
 */
export const grafanaSsoFields = z.strictObject({
  /**
   * The provider's endpoints (its /.well-known/openid-configuration lists them: authorization_endpoint,
   * token_endpoint, userinfo_endpoint); Grafana's generic OAuth client does not discover them itself.
   */
  authUrl: z.url({ protocol: /^https$/, error: "an https:// URL" }),
  tokenUrl: z.url({ protocol: /^https$/, error: "an https:// URL" }),
  userinfoUrl: z.url({ protocol: /^https$/, error: "an https:// URL" }),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1, "the OIDC client secret (set it as a secret)"),
  /** Display name on Grafana's login button. */
  name: z.string().min(1).default("SSO"),
  /** Groups claim values mapped to Grafana roles; anyone else in the provider signs in as Viewer. */
  adminGroups: z.array(z.string().min(1)).default([]),
  editorGroups: z.array(z.string().min(1)).default([]),
  /** The claim carrying the groups. */
  groupsClaim: z
    .string()
    .regex(/^[A-Za-z_][\w.-]*$/, "a claim name such as groups")
    .default("groups"),
});

export type PlatformFields = z.infer<typeof platformFields>;

export interface PlatformSettings {
  waf: { enabled: boolean; mode: "detect" | "block"; paranoiaLevel: number };
  vpa: { enabled: boolean };
  backups: { enabled: boolean; schedule: string; ttlDays: number };
  tracing: { enabled: boolean; objectStorage: boolean };
}

const DEFAULTS: Record<Environment, PlatformSettings> = {
  dev: {
    waf: { enabled: true, mode: "detect", paranoiaLevel: 1 },
    vpa: { enabled: true },
    backups: { enabled: false, schedule: "0 3 * * *", ttlDays: 7 },
    tracing: { enabled: true, objectStorage: false },
  },
  prod: {
    waf: { enabled: true, mode: "block", paranoiaLevel: 1 },
    vpa: { enabled: true },
    backups: { enabled: true, schedule: "0 3 * * *", ttlDays: 30 },
    tracing: { enabled: true, objectStorage: true },
  },
};

const defined = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** The environment's defaults overlaid with what the stack sets. */
export function platformSettings(environment: Environment, raw: PlatformFields): PlatformSettings {
  const d = DEFAULTS[environment];
  return {
    waf: { ...d.waf, ...defined(raw.waf) },
    vpa: { ...d.vpa, ...defined(raw.vpa) },
    backups: { ...d.backups, ...defined(raw.backups) },
    tracing: { ...d.tracing, ...defined(raw.tracing) },
  };
}
