/** Trace events for specs: a steady stream per deployment with knobs for what an incident changes. */
import type { TraceEvent } from "@llmops/shared/events";

let seq = 0;

export function trace(at: number, over: Partial<TraceEvent> = {}): TraceEvent {
  seq++;
  return {
    v: 1,
    id: `ev-${seq}`,
    traceId: `tr-${seq}`,
    tenant: "acme",
    provider: "openai",
    model: "gpt-4o-mini",
    operation: "chat",
    stream: true,
    startedAt: new Date(at).toISOString(),
    latencyMs: 800,
    ttftMs: 200,
    status: 200,
    errorType: null,
    usage: { inputTokens: 500, outputTokens: 200, cachedInputTokens: 0, source: "provider" },
    securityFlags: [],
    securityScore: 0,
    attributes: {},
    ...over,
  };
}

/** Deterministic jitter in [0.8, 1.25): calls differ, runs do not. */
function jitter(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return 0.8 + 0.45 * (x - Math.floor(x));
}

export interface StreamOptions {
  from: number;
  seconds: number;
  /** Calls per second. */
  rps?: number;
  latencyMs?: (t: number) => number;
  failed?: (t: number, i: number) => boolean;
  over?: Partial<TraceEvent>;
}

/** A steady stream of calls, latency around latencyMs(t) with jitter, failures where failed(t) says. */
export function stream(o: StreamOptions): TraceEvent[] {
  const rps = o.rps ?? 5;
  const out: TraceEvent[] = [];
  const n = Math.round(o.seconds * rps);
  for (let i = 0; i < n; i++) {
    const t = o.from + Math.round((i * 1000) / rps);
    const fail = o.failed?.(t, i) ?? false;
    const base = o.latencyMs?.(t) ?? 800;
    out.push(
      trace(t, {
        latencyMs: fail ? 50 : base * jitter(i),
        ttftMs: fail ? null : 0.25 * base * jitter(i + 7),
        status: fail ? 503 : 200,
        errorType: fail ? "upstream_error" : null,
        ...o.over,
      }),
    );
  }
  return out;
}

export const T0 = Date.parse("2026-03-02T12:00:00.000Z");
export const MIN = 60_000;
