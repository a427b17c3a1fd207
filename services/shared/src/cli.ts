/**
 * What the services' operator commands (`npm run -s cost-api -- …`, `npm run -s sentinel -- …`) share:
 * a command word then node:util parseArgs options, and the exit contract: 0 done, 2 bad usage (the
 * message and the usage text) or bad config (the message), 1 anything else, never a stack trace.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { ConfigError } from "./config.ts";

/** Bad usage: the message, then the usage text, exit 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** `<command> [positionals] [--options]`; an unknown or malformed option is a UsageError. */
export function parseCommand<O extends Options>(argv: string[], options: O) {
  const [command, ...args] = argv;
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options, strict: true });
    return { command, values, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * Runs `main` and sets the exit code it returns, or the contract's code for what it threw. The
 * process then ends when stdout has drained (process.exit could cut a piped output short).
 */
export function runCommand(name: string, usage: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      const usageError = err instanceof UsageError;
      process.stderr.write(`${name}: ${(err as Error).message}\n${usageError ? usage : ""}`);
      process.exitCode = usageError || err instanceof ConfigError ? 2 : 1;
    },
  );
}
