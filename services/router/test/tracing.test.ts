/**
 * One request, one trace: the official `openai` client calls the router, which calls the real trace
 * proxy, which calls the demo upstream. Both services export their spans over OTLP/HTTP (JSON, the
 * exporter the runtime uses) to an OTLP receiver started here, exactly as they would to the
 * platform's collector. The spans must share one trace id and link router -> trace proxy by parent
 * span id, and the upstream must see the same trace in the traceparent it received.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadServiceConfig } from "@llmops/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import router from "../src/service.ts";
import { startHarness, TENANT_KEY } from "./harness.ts";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number };
}
interface ReceivedSpan extends OtlpSpan {
  service: string;
}
const SERVER = 2;
const CLIENT = 3;

/** An OTLP/HTTP traces endpoint: what the collector's receiver does, minus the forwarding. */
async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      contentTypes.push(String(req.headers["content-type"]));
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a: any) => a.key === "service.name")?.value
          ?.stringValue;
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, service });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const CATALOGUE = `
models:
  - name: chat
    deployments:
      - { provider: demo, model: demo-model }
`;

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let h: Awaited<ReturnType<typeof startHarness<"demo">>>;
const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
  h = await startHarness({ demo: {} }, otel);
  const svc = await h.startRouter(CATALOGUE, otel);
  const client = h.client(svc);
  // A plain call, a streamed one, and one continuing the caller's own trace.
  await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "plain" }] });
  const stream = await client.chat.completions.create({
    model: "chat",
    stream: true,
    messages: [{ role: "user", content: "streamed" }],
  });
  for await (const _ of stream) void _;
  const res = await fetch(`${svc.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${TENANT_KEY}`,
      "content-type": "application/json",
      traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
    },
    body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "continued" }] }),
  });
  expect(res.status).toBe(200);
  await res.text();
  // Closing flushes each service's span batch (the runtime's last shutdown step).
  await h.close();
}, 60_000);

afterAll(async () => {
  await receiver?.close();
});

/** The spans of the request whose upstream call carried `content`. */
function requestSpans(content: string) {
  const upstream = h.upstreams.demo.requests.find((r) => JSON.stringify(r.body).includes(content))!;
  const traceparent = String(upstream.headers.traceparent);
  const [, traceId, parentSpanId] = /^00-([\da-f]{32})-([\da-f]{16})-01$/.exec(traceparent) ?? [];
  const inTrace = receiver.spans.filter((s) => s.traceId === traceId);
  const one = (service: string, kind: number) => {
    const found = inTrace.filter((s) => s.service === service && s.kind === kind);
    expect(found, `${service} kind ${kind}`).toHaveLength(1);
    return found[0]!;
  };
  return {
    traceparent,
    traceId: traceId!,
    upstreamParent: parentSpanId!,
    inTrace,
    routerServer: one("router", SERVER),
    routerClient: one("router", CLIENT),
    proxyServer: one("trace-proxy", SERVER),
    proxyClient: one("trace-proxy", CLIENT),
  };
}

describe("one request is one trace across router, trace proxy and upstream", () => {
  it("the spans arrive over OTLP/HTTP as JSON, named by service", () => {
    expect(new Set(receiver.contentTypes)).toEqual(new Set(["application/json"]));
    expect(new Set(receiver.spans.map((s) => s.service))).toEqual(new Set(["router", "trace-proxy"]));
  });

  it.each(["plain", "streamed"])(
    "a %s call: router -> trace proxy -> upstream, linked by parent span ids",
    (content) => {
      const t = requestSpans(content);
      // The router's request span starts the trace; its call to the proxy is a child of it.
      expect(t.routerServer.parentSpanId ?? "").toBe("");
      expect(t.routerClient.parentSpanId).toBe(t.routerServer.spanId);
      // The proxy continues the router's traceparent: its request span's parent is the router's call.
      expect(t.proxyServer.parentSpanId).toBe(t.routerClient.spanId);
      expect(t.proxyClient.parentSpanId).toBe(t.proxyServer.spanId);
      // And the upstream saw the same trace, under the proxy's call span.
      expect(t.upstreamParent).toBe(t.proxyClient.spanId);
      expect(t.inTrace).toHaveLength(4);
    },
  );

  it("spans say what they are: route, status, provider and model", () => {
    const t = requestSpans("plain");
    const attr = (s: OtlpSpan, key: string) => {
      const v = s.attributes?.find((a) => a.key === key)?.value;
      return v ? Object.values(v)[0] : undefined;
    };
    expect(t.routerServer.name).toBe("POST /v1/chat/completions");
    expect(Number(attr(t.routerServer, "http.response.status_code"))).toBe(200);
    expect(attr(t.routerClient, "gen_ai.provider.name")).toBe("demo");
    expect(attr(t.routerClient, "gen_ai.request.model")).toBe("demo-model");
    expect(Number(attr(t.proxyClient, "http.response.status_code"))).toBe(200);
  });

  it("the trace event on llm.traces carries the same trace id", () => {
    for (const content of ["plain", "streamed"]) {
      const t = requestSpans(content);
      expect(h.traces.filter((e) => e.traceId === t.traceId)).toHaveLength(1);
    }
  });

  it("a caller's own traceparent is continued, not replaced", () => {
    const t = requestSpans("continued");
    expect(t.traceId).toBe(CALLER_TRACE);
    expect(t.routerServer.parentSpanId).toBe(CALLER_SPAN);
  });

  it("probes and scrapes make no spans", () => {
    expect(receiver.spans.filter((s) => /health|ready|metrics/.test(s.name))).toEqual([]);
  });
});

describe("tracing is off unless an endpoint is set", () => {
  it("a service without OTEL_EXPORTER_OTLP_ENDPOINT has the no-op tracer; the upstream still gets the trace event's trace id", async () => {
    const bare = await startHarness({ demo: {} });
    try {
      const svc = await bare.startRouter(CATALOGUE);
      expect(svc.tracing.enabled).toBe(false);
      expect(bare.proxy.tracing.enabled).toBe(false);
      const proxied = await fetch(`${bare.proxy.url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${TENANT_KEY}`,
          "content-type": "application/json",
          "x-llm-provider": "demo",
        },
        body: JSON.stringify({ model: "demo-model", messages: [{ role: "user", content: "direct" }] }),
      });
      expect(proxied.status).toBe(200);
      await proxied.text();
      await bare
        .client(svc)
        .chat.completions.create({ model: "chat", messages: [{ role: "user", content: "off" }] });
      const seen = bare.upstreams.demo.requests.find((r) => JSON.stringify(r.body).includes("off"))!;
      // Without tracing the proxy still gives the upstream a traceparent: the one of its trace event.
      const traceId = /^00-([\da-f]{32})-/.exec(String(seen.headers.traceparent))?.[1];
      expect(bare.traces.map((e) => e.traceId)).toContain(traceId);
    } finally {
      await bare.close();
    }
  });

  it("a malformed endpoint is a config error naming the variable", () => {
    expect(() =>
      loadServiceConfig(router, { ...h.routerEnv(CATALOGUE), OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }),
    ).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
