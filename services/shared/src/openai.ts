/**
 * The OpenAI request shapes the services validate at their edge (fastify route schemas): a malformed
 * request is a 400 from the framework before any handler runs, at the router and at the trace proxy alike.
 */

/** POST /v1/chat/completions: what must be there; everything else is passed on to the provider as sent. */
export const chatCompletionBody = {
  type: "object",
  required: ["model", "messages"],
  properties: {
    model: { type: "string", minLength: 1 },
    messages: { type: "array", minItems: 1, items: { type: "object", required: ["role"] } },
    stream: { type: "boolean" },
    stream_options: { type: ["object", "null"] },
  },
} as const;
