/** The sentinel's contract: anomaly detection on the telemetry stream, steering the router. */
import { defineContract, envs, TOPICS } from "@llmops/shared/contract";
import { z } from "zod";

export const contract = defineContract({
  name: "sentinel",
  description:
    "anomaly detection on llm.traces: llm.anomalies, alerts, GET /api/v1/telemetry and /api/v1/anomalies",
  port: 8083,
  env: {
    /** Detector configuration (YAML or JSON); without it, the built-in defaults. */
    SENTINEL_CONFIG_FILE: z.string().optional(),
    /** Alertmanager (v2 API) that receives the anomalies as alerts. */
    ALERTMANAGER_URL: envs.url().optional(),
    /** A generic webhook that receives every anomaly event, signed with WEBHOOK_SECRET (HMAC-SHA256). */
    WEBHOOK_URL: envs.url().optional(),
    WEBHOOK_SECRET: z.string().min(16, "at least 16 characters").optional(),
    /** Delivery attempts per alert (exponential backoff with jitter between them). */
    ALERT_MAX_ATTEMPTS: envs.int(6, 1, 20),
    ALERT_BACKOFF_MS: envs.int(500, 1),
    /** Firing alerts are re-sent this often, so Alertmanager does not time them out (resolve_timeout). */
    ALERT_RESEND_SECONDS: envs.int(60, 1),
    /** The cost API: its price catalogue prices each call (the cost-per-call metric). */
    COST_API_URL: envs.url().optional(),
    /** Key for the cost API's read API; default: the first ADMIN_API_KEYS. */
    COST_API_KEY: z.string().optional(),
    PRICES_REFRESH_SECONDS: envs.int(300, 1),
    /** Baselines are saved to Postgres this often (and at shutdown), so a restart does not blind the detectors. */
    BASELINE_SAVE_SECONDS: envs.int(30, 1),
    /** Per-minute rollups are written this often. */
    ROLLUP_FLUSH_SECONDS: envs.int(5, 1),
  },
  postgres: true,
  // The detectors' state is saved every BASELINE_SAVE_SECONDS, not per event: after a restart they must
  // see again what came after that save, so redeliveries are remembered in memory only.
  consumes: [{ topic: TOPICS.traces, group: "detectors", dedupe: "memory" }],
  produces: [TOPICS.anomalies],
  calls: { "cost-api": "COST_API_URL" },
  platform: {
    alertmanagerUrl: "ALERTMANAGER_URL",
    anomalyWebhook: { url: "WEBHOOK_URL", secret: "WEBHOOK_SECRET" },
  },
});
