#!/usr/bin/env node
// @ts-check
/**
 * Runs a command (`npm test`, `npm start`) on a supported Node.js.
 *
 * The supported line is package.json's engines range. A machine whose Node satisfies it runs the
 * command on its own Node. An older machine gets the release pinned in .node-version, installed once
 * from the npm registry (the node-linux-<arch> package carries the official binary) into a cache
 * outside the repository, and reused by every later run.
 *
 * This file is plain JavaScript on purpose: it is the one piece that must run on the old Node, before
 * anything TypeScript-aware is available.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import process from "node:process";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import semver from "semver";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The supported range (engines.node) and the release an old machine is given (.node-version). */
export function supportedNode(root = ROOT) {
  const range = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines.node;
  const pin = readFileSync(join(root, ".node-version"), "utf8").trim();
  if (!semver.valid(pin)) throw new Error(`.node-version must hold an exact release (x.y.z), not "${pin}"`);
  if (!semver.satisfies(pin, range))
    throw new Error(`.node-version ${pin} is outside the supported range ${range} (package.json engines)`);
  return { range, pin };
}

/** Per-user cache, shared by every checkout on the machine: the binary is downloaded once. */
export function cacheDir(env = process.env) {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "llmops", "node");
}

/**
 * The registry package that carries the Node binary for this machine. Only Linux builds are
 * published for every release; elsewhere the user installs a supported Node themselves.
 * @param {string} [platform]
 * @param {string} [arch]
 */
export function nodePackage(platform = process.platform, arch = process.arch) {
  if (platform !== "linux" || !["x64", "arm64"].includes(arch)) return undefined;
  return `node-linux-${arch}`;
}

/**
 * True when `bin` is a Node executable of exactly `version`.
 * @param {string} bin
 * @param {string} version
 */
function isNode(bin, version) {
  if (!existsSync(bin)) return false;
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === `v${version}`;
}

/**
 * npm as the current process knows it (npm sets npm_execpath for scripts), else the one on PATH.
 * @returns {[string, ...string[]]}
 */
function npmCommand(env = process.env) {
  const cli = env.npm_execpath;
  return cli && /\.c?js$/.test(cli) ? [process.execPath, cli] : ["npm"];
}

/** @typedef {(line: string) => void} Log */

/**
 * Installs `<pkg>@<version>` into the cache unless a working copy is there, and returns its binary.
 * The install lands in a private temporary folder and is renamed into place, so two runs racing on
 * a fresh machine never see half a binary.
 * @param {{ version: string, pkg: string, cache?: string, log?: Log }} options
 * @returns {{ path: string, installed: boolean }}
 */
export function ensureNode({ version, pkg, cache = cacheDir(), log = () => {} }) {
  const dir = join(cache, `${pkg}-${version}`);
  const bin = join(dir, "node_modules", pkg, "bin", "node");
  if (isNode(bin, version)) return { path: bin, installed: false };

  log(`installing ${pkg}@${version} from the npm registry into ${dir} (once)`);
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, `.${pkg}-${version}-`));
  try {
    const [npm, ...npmArgs] = npmCommand();
    const r = spawnSync(
      npm,
      [
        ...npmArgs,
        "install",
        "--prefix",
        tmp,
        "--no-save",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--loglevel=error",
        `${pkg}@${version}`,
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    const tmpBin = join(tmp, "node_modules", pkg, "bin", "node");
    if (r.status !== 0 || !isNode(tmpBin, version))
      throw new Error(`could not install ${pkg}@${version} with npm:\n${r.stderr || r.error || r.stdout}`);
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another run finished first; its copy is as good as ours.
      if (!isNode(bin, version)) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { path: bin, installed: true };
}

/**
 * The Node to run on: the current one when it is in the supported range, otherwise the pinned
 * release from the cache (installed on first use).
 * @param {{ current?: string, execPath?: string, root?: string, cache?: string, platform?: string, arch?: string, log?: Log }} [options]
 * @returns {{ path: string, version: string, own: boolean, installed: boolean }}
 */
export function chooseNode({
  current = process.versions.node,
  execPath = process.execPath,
  root = ROOT,
  cache = cacheDir(),
  platform = process.platform,
  arch = process.arch,
  log = () => {},
} = {}) {
  const { range, pin } = supportedNode(root);
  const pkg = nodePackage(platform, arch);
  if (semver.satisfies(current, range))
    return { path: execPath, version: current, own: true, installed: false };
  if (!pkg)
    throw new Error(
      `Node ${current} is older than the supported ${range}, and no Node package is published for ` +
        `${platform}-${arch}: install Node ${pin} (see .nvmrc) and run again`,
    );
  log(`Node ${current} is outside the supported ${range}; using Node ${pin}`);
  return { ...ensureNode({ version: pin, pkg, cache, log }), version: pin, own: false };
}

/**
 * Runs `command` with the chosen Node first on PATH, so every `node` the command starts is that one;
 * the repository's tools (node_modules/.bin) come next, as under `npm run`.
 * @param {[string, ...string[]]} command
 */
function run(command) {
  /** @type {Log} */
  const log = (line) => {
    process.stderr.write(`[supported-node] ${line}\n`);
  };
  let node;
  try {
    node = chooseNode({ log });
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
  const env = {
    ...process.env,
    PATH: [dirname(node.path), join(ROOT, "node_modules", ".bin"), process.env.PATH]
      .filter(Boolean)
      .join(delimiter),
    // npm exports the Node it runs on under these names; tools that read them get the chosen one.
    NODE: node.path,
    npm_node_execpath: node.path,
  };
  const child = spawn(command[0], command.slice(1), { stdio: "inherit", env });
  /** @param {NodeJS.Signals} signal */
  const forward = (signal) => child.kill(signal);
  /** @type {NodeJS.Signals[]} */
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, forward);
  child.on("error", (err) => {
    log(`cannot run ${command[0]}: ${err.message}`);
    process.exit(127);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      for (const s of signals) process.off(s, forward);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const command = process.argv.slice(2);
  if (command.length === 0) {
    process.stderr.write("usage: node tools/supported-node.mjs <command> [args...]\n");
    process.exit(2);
  }
  run(/** @type {[string, ...string[]]} */ (command));
}
