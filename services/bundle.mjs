/**
 * The image's build step, and the one way the repository bundles a service:
 *   SERVICE=<name> [BUNDLE_OUT=<dir>] node services/bundle.mjs
 * (services/Dockerfile runs it with BUNDLE_OUT=/out/dist; the image tests and the benchmarks run it
 * into out/, so what they start is what the image ships.)
 *
 * esbuild bundles the service's definition (src/service.ts) with the shared runtime's entries into
 * main.mjs and, for a service whose contract lists them, migrate.mjs and roles.mjs. @llmops/* workspace
 * code, OpenTelemetry and any package npm nested under a workspace are bundled; other third-party
 * packages stay external, so their wasm and native assets load as published from node_modules.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL, URL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
/** @param {string} message @returns {never} */
const fail = (message) => {
  process.stderr.write(`bundle: ${message}\n`);
  process.exit(2);
};
const service = process.env.SERVICE;
if (!service) fail("SERVICE is not set: docker build --build-arg SERVICE=<name> -f services/Dockerfile .");
const src = `services/${service}/src`;
const missing = ["contract.ts", "service.ts"].filter((f) => !existsSync(join(root, src, f)));
if (missing.length) fail(`${src}: missing ${missing.join(", ")}`);
const out = resolve(process.env.BUNDLE_OUT ?? "/out/dist");
mkdirSync(out, { recursive: true });
/**
 * Whether Node would load this package from a workspace's own node_modules (services/<x>/node_modules,
 * where npm puts a version that differs from the root's). The runtime stage carries only the root
 * node_modules, so such a package is bundled: left external, the image would load the root's version.
 * @param {string} specifier
 * @param {string} fromDir
 */
function nestedInWorkspace(specifier, fromDir) {
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
  for (let dir = fromDir; dir.startsWith(root); dir = dirname(dir)) {
    if (existsSync(join(dir, "node_modules", name))) return relative(root, dir).startsWith("services");
    if (dir === dirname(dir)) break;
  }
  return false;
}

/** @type {import("esbuild").BuildOptions} */
const options = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  // CommonJS dependencies bundled into ESM still call require().
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  plugins: [
    {
      name: "bundle-workspace-only",
      /** @param {import("esbuild").PluginBuild} b */
      setup(b) {
        // OpenTelemetry is bundled too, with what it imports: the shared workspace pins a release line
        // of its own (npm nests it under services/shared/node_modules, which the runtime stage does not copy).
        b.onResolve({ filter: /^[^./]/ }, (a) =>
          a.path.startsWith("@llmops/") ||
          a.path.startsWith("@opentelemetry/") ||
          a.importer.includes("/node_modules/@opentelemetry/") ||
          nestedInWorkspace(a.path, a.resolveDir)
            ? undefined
            : { external: true },
        );
      },
    },
  ],
  logLevel: "warning",
};
// The contract says which scripts the image carries (main, and migrate for Postgres users) and where.
// Its probe is written inside the repository, whose node_modules its external imports (zod) resolve
// from: the image's output directory, /out/dist, is outside it.
const probe = join(root, "out", `.bundle-${service}-contract.mjs`);
await build({ ...options, entryPoints: [join(root, src, "contract.ts")], outfile: probe });
let contract;
try {
  ({ contract } = await import(pathToFileURL(probe).href));
} finally {
  rmSync(probe);
}
/** @type {Record<string, string>} */
const runners = { main: "runMain", migrate: "runMigrate", roles: "runRoles" };
for (const [entry, script] of Object.entries(contract.scripts)) {
  await build({
    ...options,
    stdin: {
      contents: `import definition from "./${src}/service.ts";\nimport { ${runners[entry]} } from "@llmops/shared/entry";\nawait ${runners[entry]}(definition);\n`,
      resolveDir: root,
      sourcefile: `${entry}.ts`,
      loader: "ts",
    },
    outfile: resolve(out, basename(script)),
    sourcemap: "linked",
  });
}
