/**
 * npm run plan -- <stack> [-c key=value ...] [--out DIR]
 * npm run plan -- --program <dir> <stack> [-c key=value ...] [--out DIR]   (another program, e.g. deployment)
 *
 * Exit 0: no mandatory policy violation and every manifest valid; 1: otherwise; 2: bad usage or
 * bad config (one line on stderr, no stack trace).
 */
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { plan } from "./plan.ts";
import { planProgram } from "./program.ts";
import { UsageError } from "./stackfile.ts";

const USAGE = "usage: npm run plan -- [--program DIR] <stack> [-c key=value ...] [--out DIR]";

function fail(message: string): never {
  process.stderr.write(`plan: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  const options = {
    config: { type: "string", short: "c", multiple: true },
    out: { type: "string" },
    program: { type: "string" },
    help: { type: "boolean", short: "h" },
  } as const;
  try {
    parsed = parseArgs({ options, allowPositionals: true });
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [stack, ...extra] = parsed.positionals;
  if (!stack || extra.length > 0) fail(`expected exactly one stack name\n${USAGE}`);
  const root = process.cwd();
  const common = {
    stack,
    overrides: parsed.values.config ?? [],
    log: (line: string) => process.stderr.write(`${line}\n`),
  };
  const program = parsed.values.program;
  const result = program
    ? await planProgram({
        ...common,
        dir: resolve(root, program),
        outDir: resolve(root, parsed.values.out ?? join("out", basename(resolve(root, program)), stack)),
      })
    : await plan({ ...common, root, outDir: resolve(root, parsed.values.out ?? `out/${stack}`) });
  process.exitCode = result.exitCode;
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) fail(err.message);
  // A program error is a bug in the program (infra/ or the --program one), not a usage error: show where.
  process.stderr.write(
    `plan: the program failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
