/**
 * The TTL backstop of a review stack, run by Pulumi Deployments before each operation of a stack
 * created from the `pr` template (deployment/settings.ts). Pulumi destroys a review stack when its
 * pull request merges or closes; a pull request left open for weeks would keep a cluster alive,
 * so the stack's first deployment schedules its own destroy REVIEW_STACK_TTL_HOURS later.
 *
 * Uses only what Deployments provides: PULUMI_CI_ORGANIZATION/PROJECT/STACK/OPERATION and a
 * PULUMI_ACCESS_TOKEN scoped to the stack being deployed. Exits 0 when there is nothing to do.
 */
import { TTL_HOURS_VARIABLE } from "./settings.ts";
import { ROLES } from "./targets.ts";

export interface TtlRun {
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
  now: () => Date;
  log: (line: string) => void;
}

export async function ensureReviewStackTtl(run: TtlRun): Promise<"created" | "exists" | "skipped"> {
  const { env } = run;
  const stack = env.PULUMI_CI_STACK;
  // The template itself and stacks this program manages by name never expire.
  if (!stack || stack in ROLES) {
    run.log(`review-ttl: ${stack ?? "(no PULUMI_CI_STACK)"} is not a review stack; nothing to schedule`);
    return "skipped";
  }
  if (env.PULUMI_CI_OPERATION === "destroy") return "skipped";
  const hours = Number(env[TTL_HOURS_VARIABLE]);
  if (!Number.isInteger(hours) || hours < 1)
    throw new Error(`${TTL_HOURS_VARIABLE} must be a whole number of hours`);
  const api = `${(env.PULUMI_BACKEND_URL ?? "https://api.pulumi.com").replace(/\/$/, "")}/api`;
  const base = `${api}/stacks/${env.PULUMI_CI_ORGANIZATION}/${env.PULUMI_CI_PROJECT}/${stack}/deployments`;
  const headers = {
    Accept: "application/vnd.pulumi+8",
    "Content-Type": "application/json",
    Authorization: `token ${env.PULUMI_ACCESS_TOKEN}`,
  };

  const listed = await run.fetch(`${base}/schedules`, { headers });
  if (!listed.ok) throw new Error(`review-ttl: listing schedules failed: HTTP ${listed.status}`);
  // The TTL counts from the first deployment: later runs of the same pull request keep it.
  // A schedule's kind and definition name what it runs; a TTL schedule is the one that says ttl.
  const { schedules = [] } = (await listed.json()) as { schedules?: unknown[] };
  if (schedules.some((s) => /ttl/i.test(JSON.stringify(s).replaceAll(stack, "")))) return "exists";

  const timestamp = new Date(run.now().getTime() + hours * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const created = await run.fetch(`${base}/ttl/schedules`, {
    method: "POST",
    headers,
    body: JSON.stringify({ timestamp, deleteAfterDestroy: true }),
  });
  if (!created.ok) throw new Error(`review-ttl: creating the TTL schedule failed: HTTP ${created.status}`);
  run.log(`review-ttl: ${stack} will be destroyed at ${timestamp} unless its pull request closes first`);
  return "created";
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureReviewStackTtl({
    env: process.env,
    fetch,
    now: () => new Date(),
    log: (line) => process.stderr.write(`${line}\n`),
  }).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
