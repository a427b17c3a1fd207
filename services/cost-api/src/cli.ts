/**
 * `npm run -s cost-api -- <command>`:
 *   import-prices FILE [--effective-from ISO] [--source TEXT] [--dry-run]
 *       a price table in LiteLLM's published format (model_prices_and_context_window.json; FILE or - for
 *       stdin) into the cost API's database (DATABASE_URL, else the embedded one under DATA_DIR, which
 *       no running service may hold meanwhile), migrations applied first. Models whose price in force
 *       then has the same figures get no new row, so importing the same table twice adds nothing. Running
 *       replicas pick the prices up on their next reload (REPRICE_INTERVAL_MS) and price the usage that
 *       was waiting for them. --dry-run reads and checks the table without a database.
 * Prints one JSON summary line; exit 0, 1 when the database fails, 2 on bad usage or a bad table.
 */
import { readFileSync } from "node:fs";
import { parseCommand, runCommand, UsageError } from "@llmops/shared/cli";
import {
  type CommonConfig,
  createLogger,
  embeddedDataDir,
  loadServiceConfig,
  migrateService,
  openDatabase,
} from "@llmops/shared";
import { PriceCatalogue } from "./catalogue.ts";
import { contract } from "./contract.ts";
import { readLiteLLMTable } from "./litellm.ts";
import costApi from "./service.ts";

const USAGE = `usage: npm run -s cost-api -- import-prices FILE [--effective-from ISO] [--source TEXT] [--dry-run]
`;

function readTable(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    throw new UsageError(
      `${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not JSON (${(err as Error).message})`);
  }
}

async function importPrices(positionals: string[], values: Record<string, string | boolean | undefined>) {
  if (positionals.length !== 1) throw new UsageError("import-prices takes exactly one FILE (or - for stdin)");
  const file = positionals[0]!;
  const at = values["effective-from"] as string | undefined;
  if (at !== undefined && (!/^\d{4}-\d{2}-\d{2}/.test(at) || Number.isNaN(Date.parse(at))))
    throw new UsageError(`--effective-from: "${at}" is not an ISO 8601 date or instant`);
  const effectiveFrom = (at ? new Date(at) : new Date()).toISOString();
  const source = (values.source as string | undefined) ?? `file:${file === "-" ? "stdin" : file}`;
  let table;
  try {
    table = readLiteLLMTable(readTable(file), { effectiveFrom, source });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
  const summary = { file, effectiveFrom, prices: table.prices.length, skipped: table.skipped.length };
  if (values["dry-run"]) {
    process.stdout.write(`${JSON.stringify({ ...summary, dryRun: true })}\n`);
    return 0;
  }
  const config = loadServiceConfig(costApi) as CommonConfig;
  // Logs go to stderr: stdout carries the summary line alone.
  const logger = createLogger(`${contract.name}-import`, config.LOG_LEVEL, process.stderr);
  const db = await openDatabase({
    url: config.DATABASE_URL,
    caFile: config.DATABASE_CA_FILE,
    auth: config.DATABASE_AUTH,
    dataDir: embeddedDataDir(config.DATA_DIR, contract.name),
    logger,
    maxConnections: 1,
  });
  try {
    await migrateService(costApi, db);
    const { added, unchanged } = await new PriceCatalogue(db, logger).insertIfChanged(table.prices);
    process.stdout.write(`${JSON.stringify({ ...summary, added: added.length, unchanged })}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { command, values, positionals } = parseCommand(argv, {
    "effective-from": { type: "string" },
    source: { type: "string" },
    "dry-run": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help || command === "help" || command === "--help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === "import-prices") return importPrices(positionals, values);
  throw new UsageError(command ? `unknown command "${command}"` : "a command is required");
}

runCommand("cost-api", USAGE, () => main(process.argv.slice(2)));
