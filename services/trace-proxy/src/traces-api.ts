import { authenticate, errors, type KeyStore, principalOf, scopeTenant } from "@llmops/shared";
import type { FastifyInstance } from "fastify";
import { decodeCursor, type TraceStore } from "./store.ts";

interface TracesQuery {
  tenant?: string;
  provider?: string;
  model?: string;
  status?: number;
  errorType?: string;
  stream?: boolean;
  flagged?: boolean;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** GET /api/v1/traces (filters + keyset pagination) and GET /api/v1/traces/:id; tenant-scoped auth. */
export async function tracesApi(
  app: FastifyInstance,
  opts: { store: TraceStore; keys: KeyStore },
): Promise<void> {
  await app.register(authenticate, { keys: opts.keys });
  app.get<{ Querystring: TracesQuery }>(
    "/api/v1/traces",
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            tenant: { type: "string", minLength: 1 },
            provider: { type: "string", minLength: 1 },
            model: { type: "string", minLength: 1 },
            status: { type: "integer", minimum: 0, maximum: 999 },
            errorType: { type: "string", minLength: 1 },
            stream: { type: "boolean" },
            flagged: { type: "boolean" },
            from: { type: "string", format: "date-time" },
            to: { type: "string", format: "date-time" },
            limit: { type: "integer", minimum: 1, maximum: 1000, default: 50 },
            cursor: { type: "string", minLength: 1 },
          },
        },
      },
    },
    async (req) => {
      const q = req.query;
      if (q.cursor && !decodeCursor(q.cursor)) throw errors.badRequest("Invalid cursor", "invalid_cursor");
      const tenant = scopeTenant(principalOf(req), q.tenant);
      const page = await opts.store.list({ ...q, tenant });
      return {
        object: "list",
        data: page.data,
        nextCursor: page.nextCursor,
        hasMore: page.nextCursor !== null,
      };
    },
  );

  app.get<{ Params: { id: string } }>("/api/v1/traces/:id", async (req) => {
    const principal = principalOf(req);
    const t = await opts.store.get(req.params.id);
    if (!t || (!principal.admin && t.tenant !== principal.tenant)) {
      throw errors.notFound(`No trace ${req.params.id}`, "trace_not_found");
    }
    return t;
  });
}
