/**
 * Token logins to a managed Postgres (DATABASE_AUTH other than `password`): the password `pg` sends is
 * a short-lived token of the pod's cloud workload identity, fetched when a connection opens and
 * cached until shortly before it expires. Each cloud's library is loaded on first use, in its mode
 * only: the password login loads none of them.
 *
 * - gcp-iam: an OAuth access token of the pod's Google service account (google-auth-library's
 *   application default credentials: on GKE with Workload Identity the metadata server), scope
 *   sqlservice.login; Cloud SQL checks it for the IAM user the URL names.
 * - aws-iam: an RDS IAM token (@aws-sdk/rds-signer): a SigV4-presigned `connect` URL for
 *   host:port and the user, signed with the credentials of the AWS default chain (on EKS the IRSA
 *   web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE), valid 15 minutes.
 * - azure-entra: a Microsoft Entra access token for Azure Database for PostgreSQL (@azure/identity's
 *   WorkloadIdentityCredential: AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and
 *   AZURE_AUTHORITY_HOST, which the AKS workload identity webhook injects).
 */
import type { DatabaseTokenAuth as TokenAuth } from "./env.ts";

/** The login a token is for: RDS signs host, port and user into it. */
export interface TokenTarget {
  host: string;
  port: number;
  user: string;
}

type Env = Record<string, string | undefined>;

export const GCP_SQL_LOGIN_SCOPE = "https://www.googleapis.com/auth/sqlservice.login";
export const AZURE_POSTGRES_SCOPE = "https://ossrdbms-aad.database.windows.net/.default";
/** An RDS IAM token is valid 15 minutes from its signing (rds-signer presigns for 900 s). */
const RDS_TOKEN_LIFETIME_MS = 15 * 60_000;
/** A cached token is replaced this long before it expires, so no connection sends a dying one. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

const AZURE_WORKLOAD_ENV = ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE"];

/** What a token mode needs from the environment besides DATABASE_URL, as problems (none: ready). */
export function tokenEnvProblems(auth: TokenAuth, env: Env = process.env): string[] {
  if (auth === "aws-iam" && !env.AWS_REGION)
    return [
      "DATABASE_AUTH=aws-iam: AWS_REGION must name the RDS server's region (its tokens are signed for it)",
    ];
  if (auth === "azure-entra") {
    const missing = AZURE_WORKLOAD_ENV.filter((v) => !env[v]);
    if (missing.length)
      return [
        `DATABASE_AUTH=azure-entra: ${missing.join(", ")} unset (the AKS workload identity webhook injects them into a pod whose ServiceAccount is labelled azure.workload.identity/use)`,
      ];
  }
  return [];
}

interface Token {
  token: string;
  expiresAt: number;
}

type Fetch = () => Promise<Token>;

function gcpToken(): Fetch {
  let auth: import("google-auth-library").GoogleAuth | undefined;
  return async () => {
    const { GoogleAuth } = await import("google-auth-library");
    auth ??= new GoogleAuth({ scopes: [GCP_SQL_LOGIN_SCOPE] });
    const client = await auth.getClient();
    const { token } = await client.getAccessToken();
    if (!token) throw new Error("gcp-iam: Google credentials returned no access token");
    return { token, expiresAt: client.credentials.expiry_date ?? 0 };
  };
}

function awsToken(target: TokenTarget, env: Env): Fetch {
  let signer: import("@aws-sdk/rds-signer").Signer | undefined;
  return async () => {
    const { Signer } = await import("@aws-sdk/rds-signer");
    signer ??= new Signer({
      hostname: target.host,
      port: target.port,
      username: target.user,
      region: env.AWS_REGION!,
    });
    const signedAt = Date.now();
    return { token: await signer.getAuthToken(), expiresAt: signedAt + RDS_TOKEN_LIFETIME_MS };
  };
}

function azureToken(env: Env): Fetch {
  let credential: import("@azure/identity").WorkloadIdentityCredential | undefined;
  return async () => {
    const { WorkloadIdentityCredential } = await import("@azure/identity");
    // The authority is AZURE_AUTHORITY_HOST, the cloud's own as the webhook sets it: nothing to
    // discover, and an authority MSAL does not know (a sovereign cloud's) would otherwise be looked
    // up at login.microsoftonline.com first.
    credential ??= new WorkloadIdentityCredential({
      clientId: env.AZURE_CLIENT_ID,
      tenantId: env.AZURE_TENANT_ID,
      tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE,
      authorityHost: env.AZURE_AUTHORITY_HOST,
      disableInstanceDiscovery: true,
    });
    const got = await credential.getToken(AZURE_POSTGRES_SCOPE);
    if (!got) throw new Error("azure-entra: the workload identity returned no access token");
    return { token: got.token, expiresAt: got.expiresOnTimestamp };
  };
}

/**
 * The password function `pg` calls for each new connection: the cached token while it has more than
 * TOKEN_REFRESH_MARGIN_MS left, else a new one (concurrent connections share one fetch). `env` gives
 * AWS_REGION and the AZURE_* variables; the rest (GCE_METADATA_HOST, the AWS credential chain's) the
 * libraries read from the process's environment themselves.
 */
export function tokenPassword(
  auth: TokenAuth,
  target: TokenTarget,
  env: Env = process.env,
): () => Promise<string> {
  const fetch =
    auth === "gcp-iam" ? gcpToken() : auth === "aws-iam" ? awsToken(target, env) : azureToken(env);
  let current: Token | undefined;
  let pending: Promise<Token> | undefined;
  return async () => {
    if (current && current.expiresAt - Date.now() > TOKEN_REFRESH_MARGIN_MS) return current.token;
    pending ??= fetch()
      .then((t) => (current = t))
      .catch((err: Error) => {
        throw new Error(`${auth}: no token for Postgres user ${target.user}: ${err.message}`, { cause: err });
      })
      .finally(() => (pending = undefined));
    return (await pending).token;
  };
}
