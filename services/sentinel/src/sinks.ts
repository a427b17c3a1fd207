/**
 * Alert sinks: Alertmanager's v2 API and a signed generic webhook. Deliveries leave the consumer's path
 * (a queue per sink) and are retried with exponential backoff and full jitter on network errors, 5xx and
 * 429; another 4xx is the receiver refusing the alert and is not retried. The anomalies themselves are
 * already deduplicated with hysteresis by the detectors, so a sink sends what it is given.
 */
import { createHmac } from "node:crypto";
import type { AnomalyEvent } from "@llmops/shared/events";
import type { Logger } from "@llmops/shared";

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs?: number;
}

export interface SinkHooks {
  delivered(sink: string): void;
  retried(sink: string): void;
  failed(sink: string, reason: string): void;
}

class Permanent extends Error {}

/** POSTs JSON, retrying what may succeed later. Resolves when delivered; throws after the last attempt. */
export async function postWithRetry(
  sink: string,
  url: string,
  body: string,
  headers: () => Record<string, string>,
  policy: RetryPolicy,
  hooks: SinkHooks,
  timeoutMs = 10_000,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers() },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        hooks.delivered(sink);
        return;
      }
      if (res.status < 500 && res.status !== 429) throw new Permanent(`HTTP ${res.status}`);
      throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      const reason = (err as Error).message;
      if (err instanceof Permanent || attempt >= policy.maxAttempts) {
        hooks.failed(sink, reason);
        throw err;
      }
      hooks.retried(sink);
      const cap = Math.min(policy.maxMs ?? 30_000, policy.baseMs * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, cap / 2 + Math.random() * (cap / 2)));
    }
  }
}

/** A serial queue: deliveries of one sink keep their order (a resolve never overtakes its firing). */
class Queue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  constructor(
    private readonly max: number,
    private readonly onDrop: () => void,
  ) {}
  push(task: () => Promise<void>): void {
    if (this.pending >= this.max) return this.onDrop();
    this.pending++;
    this.tail = this.tail
      .then(task)
      .catch(() => {})
      .finally(() => this.pending--);
  }
  /** Waits for what is queued, at most timeoutMs. */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.race([this.tail, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}

export interface Sink {
  readonly name: string;
  send(a: AnomalyEvent): void;
  close(timeoutMs: number): Promise<void>;
}

const MAX_QUEUE = 10_000;

/** Labels that identify one alert in Alertmanager (its grouping and dedup key). */
export function alertLabels(a: AnomalyEvent): Record<string, string> {
  return {
    alertname: "LLMAnomaly",
    service: "sentinel",
    metric: a.metric,
    provider: a.subject.provider,
    model: a.subject.model,
    ...(a.subject.tenant ? { tenant: a.subject.tenant } : {}),
    severity: a.severity,
  };
}

function amAlert(a: AnomalyEvent, startsAt: string, endsAt?: string) {
  const who = `${a.subject.provider}/${a.subject.model}${a.subject.tenant ? ` (tenant ${a.subject.tenant})` : ""}`;
  return {
    labels: alertLabels(a),
    annotations: {
      summary: `${a.metric} anomaly on ${who}`,
      description: `${a.detector}: ${a.metric} ${fmt(a.value)} against a baseline of ${fmt(a.baseline)} (score ${fmt(a.score)})`,
      detector: a.detector,
      value: String(a.value),
      baseline: String(a.baseline),
      score: String(a.score),
    },
    startsAt,
    ...(endsAt ? { endsAt } : {}),
  };
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

/**
 * Alertmanager v2: POST /api/v2/alerts. A firing alert is re-sent every `resendMs` until it resolves
 * (Alertmanager ends an alert it has not heard of for resolve_timeout); a resolve sends endsAt. An
 * escalation changes the severity label, i.e. the alert: the old one is ended as the new one starts.
 */
export class AlertmanagerSink implements Sink {
  readonly name = "alertmanager";
  private readonly queue: Queue;
  private readonly active = new Map<string, { event: AnomalyEvent; startsAt: string }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly baseUrl: string,
    private readonly policy: RetryPolicy,
    private readonly hooks: SinkHooks,
    resendMs: number,
  ) {
    this.queue = new Queue(MAX_QUEUE, () => hooks.failed(this.name, "queue full"));
    this.timer = setInterval(() => this.resend(), resendMs);
    this.timer.unref();
  }

  private key(a: AnomalyEvent): string {
    return `${a.subject.provider}\u0000${a.subject.model}\u0000${a.subject.tenant ?? ""}\u0000${a.metric}`;
  }

  send(a: AnomalyEvent): void {
    const key = this.key(a);
    const prev = this.active.get(key);
    const alerts: unknown[] = [];
    if (a.state === "resolved") {
      this.active.delete(key);
      alerts.push(amAlert(prev?.event ?? a, prev?.startsAt ?? a.detectedAt, a.detectedAt));
    } else {
      if (prev && prev.event.severity !== a.severity)
        alerts.push(amAlert(prev.event, prev.startsAt, a.detectedAt));
      const startsAt = prev?.startsAt ?? a.detectedAt;
      this.active.set(key, { event: a, startsAt });
      alerts.push(amAlert(a, startsAt));
    }
    this.post(alerts);
  }

  private resend(): void {
    if (this.active.size) this.post([...this.active.values()].map((x) => amAlert(x.event, x.startsAt)));
  }

  private post(alerts: unknown[]): void {
    const body = JSON.stringify(alerts);
    const url = new URL("/api/v2/alerts", this.baseUrl).toString();
    this.queue.push(() => postWithRetry(this.name, url, body, () => ({}), this.policy, this.hooks));
  }

  async close(timeoutMs: number): Promise<void> {
    clearInterval(this.timer);
    await this.queue.drain(timeoutMs);
  }
}

/** The signature a receiver checks: hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * A generic webhook: the anomaly event as the body, x-sentinel-signature over the timestamp and body
 * (a receiver rejects stale timestamps to stop replays), x-sentinel-event-id to deduplicate retries.
 */
export class WebhookSink implements Sink {
  readonly name = "webhook";
  private readonly queue: Queue;

  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly policy: RetryPolicy,
    private readonly hooks: SinkHooks,
  ) {
    this.queue = new Queue(MAX_QUEUE, () => hooks.failed(this.name, "queue full"));
  }

  send(a: AnomalyEvent): void {
    const body = JSON.stringify(a);
    this.queue.push(() =>
      postWithRetry(
        this.name,
        this.url,
        body,
        () => {
          // Signed per attempt: a retry carries a fresh timestamp.
          const ts = String(Math.floor(Date.now() / 1000));
          return {
            "x-sentinel-timestamp": ts,
            "x-sentinel-signature": webhookSignature(this.secret, ts, body),
            "x-sentinel-event-id": a.id,
          };
        },
        this.policy,
        this.hooks,
      ),
    );
  }

  async close(timeoutMs: number): Promise<void> {
    await this.queue.drain(timeoutMs);
  }
}

export function sinkHooks(
  deliveries: { inc(labels: { sink: string; result: string }): void },
  logger: Logger,
): SinkHooks {
  return {
    delivered: (sink) => deliveries.inc({ sink, result: "delivered" }),
    retried: (sink) => deliveries.inc({ sink, result: "retried" }),
    failed: (sink, reason) => {
      deliveries.inc({ sink, result: "failed" });
      logger.error({ sink, reason }, "alert delivery failed");
    },
  };
}
