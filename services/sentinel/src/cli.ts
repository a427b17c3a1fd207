/**
 * `npm run -s sentinel -- <command>`:
 *   replay FILE [--config FILE] [--prices FILE]   llm.traces JSON lines (FILE or - for stdin) in,
 *                                                 the llm.anomalies the live service would emit out (stdout)
 *   evaluate [--days N] [--seed N] [--config FILE] the detectors on simulated telemetry with labelled
 *                                                 incidents: precision, recall, delay, false alarms per day
 *   generate [--days N] [--seed N]                 the simulated telemetry as llm.traces JSON lines
 * Exit 0; 2 on bad usage or a bad config/prices file (one message, no stack trace).
 */
import { existsSync } from "node:fs";
import { parseCommand, runCommand, UsageError } from "@llmops/shared/cli";
import { loadDetectorConfig } from "./detect/config.ts";
import { bookPricer } from "./detect/pricer.ts";
import { evaluate, standardCandidates, table } from "./eval/evaluate.ts";
import { simulate } from "./eval/generator.ts";
import { loadPricesFile } from "./prices.ts";
import { openInput, replay } from "./replay.ts";

const USAGE = `usage: npm run -s sentinel -- replay FILE [--config FILE] [--prices FILE]
       npm run -s sentinel -- evaluate [--days N] [--seed N] [--config FILE]
       npm run -s sentinel -- generate [--days N] [--seed N]
`;

function number(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { command, values, positionals } = parseCommand(argv, {
    config: { type: "string" },
    prices: { type: "string" },
    days: { type: "string" },
    seed: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  switch (command) {
    case "replay": {
      if (positionals.length !== 1) throw new UsageError("replay takes exactly one FILE (or - for stdin)");
      const file = positionals[0]!;
      if (file !== "-" && !existsSync(file)) throw new UsageError(`${file}: no such file`);
      const config = loadDetectorConfig(values.config);
      const book = values.prices ? loadPricesFile(values.prices) : undefined;
      const s = await replay({
        input: openInput(file),
        output: process.stdout,
        config,
        pricer: book ? bookPricer(() => book) : undefined,
      });
      for (const p of s.problems) process.stderr.write(`replay: line ${p.line}: ${p.reason}\n`);
      process.stderr.write(
        `replay: ${s.events} events, ${s.anomalies} anomalies, ${s.malformed + s.invalid} malformed lines skipped (${s.malformed} not JSON, ${s.invalid} not llm.traces v1), ${s.duplicates} duplicate ids\n`,
      );
      return 0;
    }
    case "evaluate": {
      if (positionals.length) throw new UsageError("evaluate takes no FILE");
      const base = values.config ? loadDetectorConfig(values.config) : undefined;
      const candidates = standardCandidates();
      if (base) candidates.unshift({ name: `config ${values.config}`, config: base });
      const ev = evaluate(
        { seed: number(values.seed, "seed", 1), days: number(values.days, "days", 2) },
        candidates,
      );
      process.stdout.write(`${table(ev)}\n`);
      return 0;
    }
    case "generate": {
      if (positionals.length) throw new UsageError("generate takes no FILE");
      const sim = simulate({ seed: number(values.seed, "seed", 1), days: number(values.days, "days", 1) });
      let buffer = "";
      for (const e of sim.events()) {
        buffer += `${JSON.stringify(e)}\n`;
        if (buffer.length > 1 << 16) {
          if (!process.stdout.write(buffer)) await new Promise((r) => process.stdout.once("drain", r));
          buffer = "";
        }
      }
      process.stdout.write(buffer);
      process.stderr.write(`generate: incidents ${JSON.stringify(sim.incidents)}\n`);
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown command "${command}"` : "no command");
  }
}

runCommand("sentinel", USAGE, () => main(process.argv.slice(2)));
