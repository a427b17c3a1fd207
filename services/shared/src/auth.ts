import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { errors } from "./errors.ts";

/** Who is calling: resolved once per request by the `authenticate` plugin. */
export interface Principal {
  /**
   * The tenant the request is for: a tenant key's own tenant, or the tenant an admin (e.g. the router's
   * service key) names in x-llm-tenant; null for an admin acting for nobody in particular.
   */
  tenant: string | null;
  admin: boolean;
}

/** The header an admin key names the tenant it acts for with. */
export const TENANT_HEADER = "x-llm-tenant";

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m ? m[1]!.trim() : null;
}

/** Client keys -> tenants (API_KEYS / keys file) plus admin keys (ADMIN_API_KEYS). */
export class KeyStore {
  constructor(
    readonly tenantKeys: Map<string, string>,
    readonly adminKeys: Set<string> = new Set(),
  ) {}
  get size(): number {
    return this.tenantKeys.size + this.adminKeys.size;
  }
  /** The principal of a request's headers, or null for a missing or unknown key. */
  resolve(authorization: string | undefined, actingFor?: string | string[]): Principal | null {
    const key = bearerToken(authorization);
    if (!key) return null;
    if (this.adminKeys.has(key)) {
      const tenant = typeof actingFor === "string" && actingFor ? actingFor : null;
      return { tenant, admin: true };
    }
    const tenant = this.tenantKeys.get(key);
    return tenant ? { tenant, admin: false } : null;
  }
}

// Read through principalOf(): no FastifyRequest augmentation, so other services' request types stay clean.
const PRINCIPAL = "llmopsPrincipal";
type WithPrincipal = FastifyRequest & { [PRINCIPAL]: Principal | null };

/**
 * Every route registered after this plugin, in the same scope, needs a valid key: an unknown or
 * missing one is answered 401 before the handler runs. Register it in a service's routes plugin (it does
 * not escape to the parent scope's siblings); /health, /ready and /metrics stay open.
 */
export const authenticate = fp<{ keys: KeyStore }>(
  (app: FastifyInstance, opts, done) => {
    if (!app.hasRequestDecorator(PRINCIPAL)) app.decorateRequest(PRINCIPAL, null);
    app.addHook("onRequest", (req, _reply, next) => {
      const principal = opts.keys.resolve(req.headers.authorization, req.headers[TENANT_HEADER]);
      if (!principal) return next(errors.unauthorized());
      (req as WithPrincipal)[PRINCIPAL] = principal;
      next();
    });
    done();
  },
  { name: "llmops-authenticate", fastify: "5.x" },
);

/** The caller of a request that passed `authenticate`. */
export function principalOf(req: FastifyRequest): Principal {
  const p = (req as WithPrincipal)[PRINCIPAL];
  if (!p) throw errors.unauthorized();
  return p;
}

/** Tenant filter for a read API: a tenant key sees only its tenant; an admin may pick any (or all). */
export function scopeTenant(p: Principal, requested: string | undefined): string | undefined {
  if (p.admin) return requested;
  if (requested && requested !== p.tenant)
    throw errors.forbidden(`This key can only read tenant "${p.tenant}"`);
  return p.tenant!;
}

export function requireAdmin(p: Principal): void {
  if (!p.admin) throw errors.forbidden("This operation needs an admin key (ADMIN_API_KEYS)");
}
