/**
 * The Postgres logins the cloud layer makes: one workload-identity login per Postgres user among the
 * services. Asked for here, as data, so the cloud layer names no service; read by the program and by
 * the plan-time checks (a login's cloud-side name can be too long for the provider).
 */
import { postgresRole } from "../services/shared/src/contract.ts";
import { CONTRACTS } from "../services/services.ts";
import type { DatabaseLoginRequest } from "./cloud/types.ts";
import { appServiceAccount } from "./names.ts";

export const DATABASE_LOGINS: readonly DatabaseLoginRequest[] = CONTRACTS.filter((c) => c.postgres).map(
  (c) => ({ id: c.name, role: postgresRole(c.name), serviceAccount: appServiceAccount(c.name) }),
);
