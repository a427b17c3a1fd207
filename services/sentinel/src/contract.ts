/** The sentinel's contract: anomaly detection on the telemetry stream, steering the router. */
import { defineContract, envs, TOPICS } from "@llmops/shared/contract";

export const contract = defineContract({
  name: "sentinel",
  description: "shell: /health, /ready and /metrics only (its routes are not built yet)",
  port: 8083,
  env: {
    /** Alertmanager (v2 API) that receives the anomalies as alerts. */
    ALERTMANAGER_URL: envs.url().optional(),
  },
  postgres: true,
  consumes: [{ topic: TOPICS.traces, group: "detectors" }],
  produces: [TOPICS.anomalies],
  platform: { alertmanagerUrl: "ALERTMANAGER_URL" },
});
