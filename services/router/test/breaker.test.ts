/** The circuit breaker on its own clock: when it opens, how long it stays open, how it closes. */
import { describe, expect, it } from "vitest";
import { Breaker } from "../src/breaker.ts";

function breaker(opts: Partial<ConstructorParameters<typeof Breaker>[0]> = {}) {
  const clock = { t: 1_000_000 };
  const b = new Breaker(
    { windowMs: 10_000, minRequests: 5, failureRate: 0.5, cooldownMs: 2_000, ...opts },
    () => clock.t,
  );
  return { b, clock };
}

describe("the circuit breaker", () => {
  it("stays closed under the minimum-requests floor, whatever the rate (3 failures of 3 calls)", () => {
    const { b } = breaker();
    for (let i = 0; i < 3; i++) b.failure("status 500");
    expect(b.state).toBe("closed");
    expect(b.admits()).toBe(true);
  });

  it("opens once the window holds enough requests at or above the failure rate", () => {
    const { b } = breaker();
    b.success();
    b.success();
    b.failure("status 500");
    b.failure("status 500");
    expect(b.state).toBe("closed"); // 2 of 4, under the floor of 5
    b.failure("status 503");
    expect(b.state).toBe("open"); // 3 of 5 = 60 %
    expect(b.reason).toBe("status 503");
    expect(b.admits()).toBe(false);
  });

  it("forgets failures that left the window", () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 4; i++) b.failure("status 500");
    clock.t += 11_000;
    b.failure("status 500");
    expect(b.window()).toEqual({ requests: 1, failures: 1 });
    expect(b.state).toBe("closed");
  });

  it("a Retry-After opens it at once, for as long as it asked", () => {
    const { b, clock } = breaker();
    b.failure("status 429", 7_000);
    expect(b.state).toBe("open");
    expect(b.until).toBe(clock.t + 7_000);
    expect(b.pausedUntil).toBe(clock.t + 7_000);
  });

  it("a failure during cooldown extends it to the later deadline, never shortens it", () => {
    const { b, clock } = breaker();
    b.failure("status 429", 7_000);
    const first = b.until;
    clock.t += 1_000;
    b.failure("status 500"); // default cooldown 2 s would end earlier
    expect(b.until).toBe(first);
    clock.t += 1_000;
    b.failure("status 429", 30_000);
    expect(b.until).toBe(clock.t + 30_000);
  });

  it("half-open after the cooldown: one probe at a time; its success closes it", () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 5; i++) b.failure("status 500");
    clock.t += 2_000;
    expect(b.tick()).toBe("half-open");
    expect(b.admits()).toBe(true);
    b.attempt();
    expect(b.admits()).toBe(false); // the probe is out
    b.success();
    expect(b.state).toBe("closed");
    expect(b.until).toBe(0);
    expect(b.admits()).toBe(true);
  });

  it("a failed probe opens it again for another cooldown", () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 5; i++) b.failure("status 500");
    clock.t += 2_000;
    b.attempt();
    b.failure("status 502");
    expect(b.state).toBe("open");
    expect(b.until).toBe(clock.t + 2_000);
  });

  it("a probe that ends without a verdict (caller left) frees the probe slot", () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 5; i++) b.failure("status 500");
    clock.t += 2_000;
    b.attempt();
    b.release();
    expect(b.admits()).toBe(true);
    expect(b.tick()).toBe("half-open");
  });
});
