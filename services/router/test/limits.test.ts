/** The router's limits on their own: the concurrency gate and its queue, rpm/tpm windows, TENANT_LIMITS. */
import { describe, expect, it } from "vitest";
import { ConcurrencyGate, parseTenantLimits, RateLimiter } from "../src/limits.ts";

describe("the concurrency gate", () => {
  it("queues beyond the limit, FIFO, and hands a freed slot straight to the next in line", async () => {
    const gate = new ConcurrencyGate({ maxConcurrent: 1, queueMax: 2, queueTimeoutMs: 1_000 });
    const first = await gate.acquire();
    const order: number[] = [];
    const second = gate.acquire().then((r) => (order.push(2), r));
    const third = gate.acquire().then((r) => (order.push(3), r));
    expect(gate.queued).toBe(2);
    expect(await gate.acquire()).toBe("queue_full");
    (first as () => void)();
    const s = await second;
    expect(gate.active).toBe(1);
    (s as () => void)();
    const t = await third;
    expect(order).toEqual([2, 3]);
    (t as () => void)();
    expect(gate.active).toBe(0);
  });

  it("a queued call that waits past the timeout is refused, and its place is given up", async () => {
    const gate = new ConcurrencyGate({ maxConcurrent: 1, queueMax: 5, queueTimeoutMs: 20 });
    await gate.acquire();
    expect(await gate.acquire()).toBe("queue_timeout");
    expect(gate.queued).toBe(0);
  });

  it("a caller that leaves while queued gives its place up", async () => {
    const gate = new ConcurrencyGate({ maxConcurrent: 1, queueMax: 5, queueTimeoutMs: 10_000 });
    await gate.acquire();
    const abort = new AbortController();
    const waiting = gate.acquire(abort.signal);
    abort.abort();
    expect(await waiting).toBe("queue_timeout");
    expect(gate.queued).toBe(0);
  });

  it("releasing twice frees one slot", async () => {
    const gate = new ConcurrencyGate({ maxConcurrent: 2, queueMax: 0, queueTimeoutMs: 0 });
    const r = (await gate.acquire()) as () => void;
    r();
    r();
    expect(gate.active).toBe(0);
  });
});

describe("rpm and tpm over a sliding minute", () => {
  it("refuses the request over rpm with the time until the oldest leaves the window", () => {
    const clock = { t: 1_000_000 };
    const rl = new RateLimiter(() => clock.t);
    const limit = { rpm: 2 };
    expect(rl.take("acme", limit, () => 0).ok).toBe(true);
    clock.t += 10_000;
    expect(rl.take("acme", limit, () => 0).ok).toBe(true);
    const refused = rl.take("acme", limit, () => 0);
    expect(refused).toEqual({ ok: false, retryAfterMs: 50_000 });
    clock.t += 50_000;
    expect(rl.take("acme", limit, () => 0).ok).toBe(true);
  });

  it("reserves the estimate, then settles to the real usage", () => {
    const rl = new RateLimiter(() => 1_000_000);
    const limit = { tpm: 1_000 };
    expect(rl.take("acme", limit, () => 800).ok).toBe(true);
    expect(rl.fits("acme", limit, () => 300)).toBe(false);
    rl.settle("acme", limit, () => 800, 100);
    expect(rl.fits("acme", limit, () => 300)).toBe(true);
  });

  it("counts tokens only when a tpm limit asks for them", () => {
    const rl = new RateLimiter();
    let counted = 0;
    rl.take("acme", { rpm: 10 }, () => ++counted);
    rl.take("acme", {}, () => ++counted);
    expect(counted).toBe(0);
  });
});

describe("TENANT_LIMITS", () => {
  it("reads tenant:rpm:tpm entries with * for everyone else; empty or 0 is no limit", () => {
    const of = parseTenantLimits("acme:600:1000000, globex::5000, *:60:0");
    expect(of("acme")).toEqual({ rpm: 600, tpm: 1_000_000 });
    expect(of("globex")).toEqual({ rpm: undefined, tpm: 5000 });
    expect(of("initech")).toEqual({ rpm: 60, tpm: undefined });
    expect(parseTenantLimits("")("anyone")).toEqual({});
  });

  it("names every bad entry", () => {
    expect(() => parseTenantLimits("acme:lots,globex:1:2:3,:5")).toThrow(
      /"acme:lots"[\s\S]*"globex:1:2:3"[\s\S]*":5"/,
    );
  });
});
