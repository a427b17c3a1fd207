/**
 * Runs one of the repo's TypeScript command-line entries as an operator does (its own process, under
 * tsx), and collects what it printed and how it exited.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./plan.ts";

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `script` is relative to the repo root; `env` is added to this process's environment. */
export function runScript(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandRun> {
  return new Promise((res) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, script), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}
