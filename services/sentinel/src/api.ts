import { authenticate, type Database, errors, type KeyStore, principalOf, scopeTenant } from "@llmops/shared";
import type { FastifyInstance } from "fastify";
import { listAnomalies, telemetry } from "./store.ts";

interface TelemetryQuery {
  hours: number;
  tenant?: string;
  provider?: string;
  model?: string;
}

interface AnomaliesQuery {
  since?: string;
  state?: "firing" | "resolved";
  tenant?: string;
  limit: number;
}

/**
 * GET /api/v1/telemetry?hours=1 (per-minute rollups by provider and model) and
 * GET /api/v1/anomalies?since=&state= (what the sentinel emitted, newest first). A tenant key reads its
 * own tenant (and the provider-wide anomalies); an admin key reads everything or picks a tenant.
 */
export async function sentinelApi(
  app: FastifyInstance,
  opts: { db: Database; keys: KeyStore },
): Promise<void> {
  await app.register(authenticate, { keys: opts.keys });
  app.get<{ Querystring: TelemetryQuery }>(
    "/api/v1/telemetry",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            hours: { type: "number", exclusiveMinimum: 0, maximum: 168, default: 1 },
            tenant: { type: "string", minLength: 1 },
            provider: { type: "string", minLength: 1 },
            model: { type: "string", minLength: 1 },
          },
        },
      },
    },
    async (req) => {
      const q = req.query;
      const tenant = scopeTenant(principalOf(req), q.tenant);
      const since = new Date(Date.now() - q.hours * 3_600_000);
      const data = await telemetry(opts.db, { since, tenant, provider: q.provider, model: q.model });
      return { object: "list", hours: q.hours, since: since.toISOString(), data };
    },
  );

  app.get<{ Querystring: AnomaliesQuery }>(
    "/api/v1/anomalies",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            since: { type: "string", format: "date-time" },
            state: { type: "string", enum: ["firing", "resolved"] },
            tenant: { type: "string", minLength: 1 },
            limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
          },
        },
      },
    },
    async (req) => {
      const q = req.query;
      const tenant = scopeTenant(principalOf(req), q.tenant);
      const since = q.since ? new Date(q.since) : undefined;
      if (since && Number.isNaN(since.getTime()))
        throw errors.badRequest("since: not a date-time", "invalid_since");
      const data = await listAnomalies(opts.db, { since, state: q.state, tenant, limit: q.limit });
      return { object: "list", data };
    },
  );
}
