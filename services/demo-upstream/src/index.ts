import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small, fast, deterministic OpenAI-compatible upstream (plain node:http, no framework, so it is a
 * fair baseline for benchmarks). Same request -> same answer.
 *
 * Endpoints: POST /v1/chat/completions (stream + stream_options.include_usage), POST /v1/completions,
 * POST /v1/embeddings, POST /v1/responses, GET /v1/models.
 *
 * Per-request controls (headers, pass through the proxy): x-demo-latency-ms, x-demo-chunk-delay-ms,
 * x-demo-mode: error500 | error429 | garbage | hang | drop-mid-stream | slow-headers.
 * Global controls: latencyMs, chunkDelayMs, errorRate (every 1/errorRate-th request fails with 503).
 */
export interface DemoUpstreamOptions {
  port?: number;
  host?: string;
  latencyMs?: number;
  chunkDelayMs?: number;
  errorRate?: number;
  /** Words per streamed answer (default 12). */
  words?: number;
}

export interface DemoUpstream {
  url: string;
  server: Server;
  /** Requests seen, with the headers they carried (tests assert on forwarded headers). */
  requests: Array<{ method: string; url: string; headers: IncomingMessage["headers"]; body: unknown }>;
  /** Number of responses aborted by the client before completion. */
  aborted: () => number;
  /**
   * Makes every request behave like the x-demo-mode header says (a header still wins), e.g. "error500",
   * "error429" (with Retry-After: 2), "error400", "drop-mid-stream"; null restores normal answers.
   */
  setMode(mode: string | null): void;
  close(): Promise<void>;
}

const WORDS = [
  "the",
  "platform",
  "routes",
  "every",
  "call",
  "through",
  "a",
  "proxy",
  "that",
  "measures",
  "tokens",
  "and",
  "latency",
  "so",
  "teams",
  "can",
  "see",
  "cost",
  "per",
  "tenant",
  "model",
  "provider",
  "in",
  "real",
  "time",
];

function answer(seed: string, n: number): string[] {
  const h = createHash("sha256").update(seed).digest();
  return Array.from({ length: n }, (_, i) => WORDS[h[i % h.length]! % WORDS.length]!);
}

const tokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));
const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

function promptText(body: any): string {
  if (Array.isArray(body?.messages)) {
    return body.messages
      .map((m: any) => (typeof m?.content === "string" ? m.content : JSON.stringify(m?.content ?? "")))
      .join("\n");
  }
  if (typeof body?.prompt === "string") return body.prompt;
  if (typeof body?.input === "string") return body.input;
  return JSON.stringify(body?.input ?? body?.prompt ?? "");
}

function json(res: ServerResponse, status: number, payload: unknown) {
  const data = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

export async function startDemoUpstream(opts: DemoUpstreamOptions = {}): Promise<DemoUpstream> {
  let counter = 0;
  let aborted = 0;
  const requests: DemoUpstream["requests"] = [];
  const record = process.env.DEMO_RECORD !== "0";
  let globalMode = "";

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    res.on("close", () => {
      if (!res.writableFinished) aborted++;
    });
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      void handle(req, res, Buffer.concat(chunks)).catch(() => {
        if (!res.headersSent)
          json(res, 500, { error: { message: "demo upstream failure", type: "server_error", code: null } });
        else res.destroy();
      });
    });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer) {
    counter++;
    let body: any = null;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        return json(res, 400, {
          error: { message: "invalid JSON", type: "invalid_request_error", code: null },
        });
      }
    }
    if (record && requests.length < 10_000)
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    const mode = String(req.headers["x-demo-mode"] ?? globalMode);
    const latency = Number(req.headers["x-demo-latency-ms"] ?? opts.latencyMs ?? 0);
    const chunkDelay = Number(req.headers["x-demo-chunk-delay-ms"] ?? opts.chunkDelayMs ?? 0);
    if (mode === "hang") return; // never answers; the proxy's timeout must fire
    await sleep(latency);
    if (mode === "error500")
      return json(res, 500, { error: { message: "upstream exploded", type: "server_error", code: null } });
    if (mode === "error429") {
      res.setHeader("retry-after", "2");
      return json(res, 429, {
        error: { message: "slow down", type: "rate_limit_error", code: "rate_limited" },
      });
    }
    if (mode === "error400")
      return json(res, 400, {
        error: {
          message: "demo upstream refuses this request",
          type: "invalid_request_error",
          code: "bad_request",
        },
      });
    if (opts.errorRate && opts.errorRate > 0 && counter % Math.max(1, Math.round(1 / opts.errorRate)) === 0) {
      return json(res, 503, {
        error: { message: "demo upstream: injected failure", type: "server_error", code: "injected" },
      });
    }
    if (mode === "garbage") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end("<html>definitely not json");
    }
    const path = (req.url ?? "/").split("?")[0];
    const model = typeof body?.model === "string" ? body.model : "demo-model";
    const created = 1_700_000_000;
    if (req.method === "GET" && path === "/v1/models") {
      return json(res, 200, {
        object: "list",
        data: ["demo-model", "demo-large", "demo-embed"].map((id) => ({
          id,
          object: "model",
          created,
          owned_by: "demo",
        })),
      });
    }
    const prompt = promptText(body);
    const inTok = tokens(prompt);
    const cached = Math.floor(inTok / 4);
    const id = `demo-${createHash("sha1")
      .update(prompt + model)
      .digest("hex")
      .slice(0, 16)}`;
    if (req.method === "POST" && path === "/v1/chat/completions") {
      const words = answer(prompt + model, opts.words ?? 12);
      const text = words.join(" ");
      const usage = {
        prompt_tokens: inTok,
        completion_tokens: words.length,
        total_tokens: inTok + words.length,
        prompt_tokens_details: { cached_tokens: cached },
      };
      if (!body?.stream) {
        return json(res, 200, {
          id,
          object: "chat.completion",
          created,
          model,
          choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
          usage,
        });
      }
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      let closed = false;
      res.on("close", () => {
        if (!res.writableFinished) closed = true;
      });
      const includeUsage = body?.stream_options?.include_usage === true;
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({
          id,
          object: "chat.completion.chunk",
          created,
          model,
          choices: [{ index: 0, delta, finish_reason: finish }],
          ...(includeUsage ? { usage: null } : {}),
        })}\n\n`;
      res.write(chunk({ role: "assistant", content: "" }, null));
      for (let i = 0; i < words.length; i++) {
        if (closed) return;
        await sleep(chunkDelay);
        if (closed) return;
        if (mode === "drop-mid-stream" && i === Math.floor(words.length / 2)) {
          res.destroy();
          return;
        }
        res.write(chunk({ content: (i ? " " : "") + words[i] }, null));
      }
      res.write(chunk({}, "stop"));
      if (includeUsage) {
        res.write(
          `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage })}\n\n`,
        );
      }
      res.end("data: [DONE]\n\n");
      return;
    }
    if (req.method === "POST" && path === "/v1/completions") {
      const text = answer(prompt + model, opts.words ?? 12).join(" ");
      return json(res, 200, {
        id,
        object: "text_completion",
        created,
        model,
        choices: [{ index: 0, text, finish_reason: "stop" }],
        usage: { prompt_tokens: inTok, completion_tokens: 12, total_tokens: inTok + 12 },
      });
    }
    if (req.method === "POST" && path === "/v1/embeddings") {
      const inputs: string[] = Array.isArray(body?.input)
        ? body.input.map(String)
        : [String(body?.input ?? "")];
      return json(res, 200, {
        object: "list",
        model,
        data: inputs.map((s, index) => ({
          object: "embedding",
          index,
          embedding: [...createHash("sha256").update(s).digest()].slice(0, 8).map((b) => b / 255),
        })),
        usage: {
          prompt_tokens: inputs.reduce((a, s) => a + tokens(s), 0),
          total_tokens: inputs.reduce((a, s) => a + tokens(s), 0),
        },
      });
    }
    if (req.method === "POST" && path === "/v1/responses") {
      const text = answer(prompt + model, opts.words ?? 12).join(" ");
      return json(res, 200, {
        id,
        object: "response",
        created_at: created,
        model,
        status: "completed",
        output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text }] }],
        usage: {
          input_tokens: inTok,
          output_tokens: 12,
          total_tokens: inTok + 12,
          input_tokens_details: { cached_tokens: cached },
        },
      });
    }
    return json(res, 404, {
      error: {
        message: `demo upstream: no route ${req.method} ${path}`,
        type: "invalid_request_error",
        code: "unknown_url",
      },
    });
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host && opts.host !== "0.0.0.0" ? opts.host : "127.0.0.1"}:${port}`,
    server,
    requests,
    aborted: () => aborted,
    setMode: (mode) => {
      globalMode = mode ?? "";
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
