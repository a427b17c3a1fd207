/**
 * One service on its own, as its container runs it:
 *   tsx services/run.ts <service>            serve (the image's dist/main.mjs)
 *   tsx services/run.ts <service> migrate    apply its migrations to DATABASE_URL (dist/migrate.mjs)
 *   tsx services/run.ts <service> roles      provision the services' Postgres roles (dist/roles.mjs)
 *   tsx services/run.ts --list               the services, one per line (the image build reads it)
 */
import { runMain, runMigrate, runRoles } from "@llmops/shared/entry";
import { loadDefinition, SERVICE_NAMES } from "./services.ts";

const [name, command = "main"] = process.argv.slice(2);
if (name === "--list") {
  process.stdout.write(`${SERVICE_NAMES.join("\n")}\n`);
} else if (
  !name ||
  !(SERVICE_NAMES as readonly string[]).includes(name) ||
  !["main", "migrate", "roles"].includes(command)
) {
  process.stderr.write(
    `usage: tsx services/run.ts <${SERVICE_NAMES.join("|")}> [main|migrate|roles] | --list\n`,
  );
  process.exit(2);
} else {
  const def = await loadDefinition(name);
  await (command === "migrate" ? runMigrate(def) : command === "roles" ? runRoles(def) : runMain(def));
}
