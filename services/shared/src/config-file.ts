/**
 * Reading a configuration file a service is pointed at (the router's catalogue, the sentinel's
 * detector config, a prices file): a missing file or bad syntax is one ConfigError naming the
 * variable and the file, so the entry prints one line and exits 2 instead of a stack trace.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "./config.ts";

/**
 * The parsed document of `path`: JSON for a .json file, YAML (a superset of JSON) otherwise.
 * `variable` (e.g. ROUTER_PROVIDERS_FILE) prefixes the messages, so the operator knows what to fix.
 */
export function readConfigFile(path: string, variable?: string): unknown {
  const where = variable ? `${variable}: ${path}` : path;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([
      `${where}: cannot read (${code === "ENOENT" ? "no such file" : (code ?? "error")})`,
    ]);
  }
  const json = path.endsWith(".json");
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError([
      `${where}: not valid ${json ? "JSON" : "YAML"}: ${(err as Error).message.split("\n")[0]}`,
    ]);
  }
}
