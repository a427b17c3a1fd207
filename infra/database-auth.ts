/**
 * TEMPORARY, until the runtime side (services/shared/src/contract.ts) lands on this branch: the names
 * infra shares with the services' database login code, written here once so every infra module reads
 * them from one place. At the merge each line becomes a re-export of the contract's own constant and
 * nothing else in infra changes.
 *
 * Plain data, like names.ts: the cloud layer reads the auth mode type, the apps layer the env names.
 */

/** How a Postgres client logs in (the services' DATABASE_AUTH). */
export const DATABASE_AUTH_MODES = ["password", "gcp-iam", "aws-iam", "azure-entra"] as const;
export type DatabaseAuth = (typeof DATABASE_AUTH_MODES)[number];
/** The modes that log in with a workload identity's short-lived token instead of a password. */
export type DatabaseTokenAuth = Exclude<DatabaseAuth, "password">;

/** The client's own login mode (services, their migrations, the roles Job's own login). */
export const DATABASE_AUTH_ENV = "DATABASE_AUTH";
/** The roles Job: how the services it provisions log in. */
export const POSTGRES_ROLES_AUTH_ENV = "POSTGRES_ROLES_AUTH";
/** The roles Job's input, next to a service's `url`: its managed identity's principal (object) id. */
export const POSTGRES_ROLE_OBJECT_ID_FILE = "object-id";
