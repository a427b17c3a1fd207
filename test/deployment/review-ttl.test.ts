/**
 * The review stacks' TTL backstop (deployment/review-ttl.ts) against a stand-in for the Pulumi
 * Cloud schedules API: it schedules one destroy per review stack, never for managed stacks.
 */
import { describe, expect, it } from "vitest";
import { ensureReviewStackTtl } from "../../deployment/review-ttl.ts";

interface Call {
  method: string;
  url: string;
  body?: unknown;
  auth?: string;
}

function cloud(existing: object[]) {
  const calls: Call[] = [];
  const fake = (async (url: string, init: RequestInit = {}) => {
    const headers = init.headers as Record<string, string>;
    calls.push({
      method: init.method ?? "GET",
      url,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      auth: headers.Authorization,
    });
    const body = init.method === "POST" ? {} : { schedules: existing };
    return new Response(JSON.stringify(body), { status: 200 });
  }) as typeof fetch;
  return { calls, fake };
}

const deploymentEnv = (stack: string, extra: Record<string, string> = {}) => ({
  PULUMI_CI_ORGANIZATION: "acme",
  PULUMI_CI_PROJECT: "llmops",
  PULUMI_CI_STACK: stack,
  PULUMI_CI_OPERATION: "update",
  PULUMI_ACCESS_TOKEN: "stack-scoped-token",
  REVIEW_STACK_TTL_HOURS: "72",
  ...extra,
});

const now = () => new Date("2026-12-01T10:00:00.000Z");
const quiet = () => {};

describe("review stack TTL backstop", () => {
  it("schedules the stack's destroy TTL hours after its first deployment, deleting it afterwards", async () => {
    const { calls, fake } = cloud([]);
    const result = await ensureReviewStackTtl({
      env: deploymentEnv("pr-acme-llmops-42"),
      fetch: fake,
      now,
      log: quiet,
    });
    expect(result).toBe("created");
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "GET https://api.pulumi.com/api/stacks/acme/llmops/pr-acme-llmops-42/deployments/schedules",
      "POST https://api.pulumi.com/api/stacks/acme/llmops/pr-acme-llmops-42/deployments/ttl/schedules",
    ]);
    expect(calls[1]!.body).toEqual({ timestamp: "2026-12-04T10:00:00Z", deleteAfterDestroy: true });
    expect(calls[1]!.auth).toBe("token stack-scoped-token");
  });

  it("keeps an existing TTL: later pushes to the pull request do not extend its life", async () => {
    const { calls, fake } = cloud([{ kind: "ttl", definition: { timestamp: "2026-12-03T00:00:00Z" } }]);
    expect(
      await ensureReviewStackTtl({ env: deploymentEnv("pr-acme-llmops-42"), fetch: fake, now, log: quiet }),
    ).toBe("exists");
    expect(calls.filter((c) => c.method === "POST")).toEqual([]);
  });

  it("is not fooled by a stack whose name contains ttl", async () => {
    const { calls, fake } = cloud([{ kind: "drift", definition: { stack: "pr-acme-ttl-tool-9" } }]);
    const env = deploymentEnv("pr-acme-ttl-tool-9");
    expect(await ensureReviewStackTtl({ env, fetch: fake, now, log: quiet })).toBe("created");
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(1);
  });

  it.each(["pr", "dev", "prod"])("never schedules a destroy of the managed stack %s", async (stack) => {
    const { calls, fake } = cloud([]);
    expect(await ensureReviewStackTtl({ env: deploymentEnv(stack), fetch: fake, now, log: quiet })).toBe(
      "skipped",
    );
    expect(calls).toEqual([]);
  });

  it("does nothing while the stack is being destroyed", async () => {
    const { calls, fake } = cloud([]);
    const env = deploymentEnv("pr-acme-llmops-7", { PULUMI_CI_OPERATION: "destroy" });
    expect(await ensureReviewStackTtl({ env, fetch: fake, now, log: quiet })).toBe("skipped");
    expect(calls).toEqual([]);
  });

  it("fails the deployment when the lifetime is not a whole number of hours", async () => {
    const { fake } = cloud([]);
    const env = deploymentEnv("pr-acme-llmops-7", { REVIEW_STACK_TTL_HOURS: "soon" });
    await expect(ensureReviewStackTtl({ env, fetch: fake, now, log: quiet })).rejects.toThrow(
      /REVIEW_STACK_TTL_HOURS must be a whole number/,
    );
  });
});
