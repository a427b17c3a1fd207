/**
 * The price import command as an operator runs it: a table in LiteLLM's published format into the cost
 * API's database, then read back by the service from that database.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runScript } from "../../../test/helpers/cli.ts";
import { type CostApi, startCostApi } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "cost-cli-"));
const DATA_DIR = join(dir, "data");
const TABLE = join(dir, "prices.json");
writeFileSync(
  TABLE,
  JSON.stringify({
    sample_spec: { input_cost_per_token: 0, output_cost_per_token: 0 },
    "acme-chat-1": {
      litellm_provider: "openai",
      mode: "chat",
      input_cost_per_token: 0.0000015,
      cache_read_input_token_cost: 0.00000075,
      output_cost_per_token: 0.000006,
    },
    "acme-image-1": { litellm_provider: "openai", mode: "image_generation", output_cost_per_image: 0.04 },
  }),
);

const run = (args: string[]) =>
  runScript("services/cost-api/src/cli.ts", args, { DATA_DIR, DATABASE_URL: "", LOG_LEVEL: "warn" });

let api: CostApi | undefined;
afterAll(async () => {
  await api?.close();
});

describe("npm run -s cost-api -- import-prices FILE", () => {
  it("imports the table's per-token prices (skipping the rest), adds nothing the second time, and the service bills with them", async () => {
    const first = await run(["import-prices", TABLE, "--effective-from", "2026-06-01T00:00:00Z"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      file: TABLE,
      effectiveFrom: "2026-06-01T00:00:00.000Z",
      prices: 1,
      skipped: 1,
      added: 1,
      unchanged: 0,
    });
    const again = await run(["import-prices", TABLE, "--effective-from", "2026-07-01"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0, unchanged: 1 });

    api = await startCostApi({ DATA_DIR });
    const r = await api.call("/api/v1/prices?provider=openai&model=acme-chat-1");
    expect(r.body.data).toEqual([
      expect.objectContaining({
        inputPerMTok: "1.5",
        cachedInputPerMTok: "0.75",
        outputPerMTok: "6",
        effectiveFrom: "2026-06-01T00:00:00.000Z",
        source: `file:${TABLE}`,
      }),
    ]);
  }, 180_000);

  it("refuses a missing file, a table of the wrong shape and a bad --effective-from with exit 2 and the reason", async () => {
    const missing = await run(["import-prices", join(dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.json: no such file");
    const list = join(dir, "list.json");
    writeFileSync(list, "[1, 2]");
    const shape = await run(["import-prices", list, "--dry-run"]);
    expect(shape.code).toBe(2);
    expect(shape.stderr).toContain("a LiteLLM price table is a JSON object keyed by model name");
    const date = await run(["import-prices", TABLE, "--effective-from", "last tuesday"]);
    expect(date.code).toBe(2);
    expect(date.stderr).toContain('--effective-from: "last tuesday" is not an ISO 8601 date or instant');
    expect(`${missing.stdout}${shape.stdout}${date.stdout}`).toBe("");
  }, 120_000);
});
