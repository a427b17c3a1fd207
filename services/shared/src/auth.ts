import type { FastifyRequest } from "fastify";
import { errors } from "./errors.ts";

export interface Principal {
  /** Tenant of a tenant key; null for an admin key (all tenants). */
  tenant: string | null;
  admin: boolean;
}

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
  resolve(key: string | null): Principal | null {
    if (!key) return null;
    if (this.adminKeys.has(key)) return { tenant: null, admin: true };
    const tenant = this.tenantKeys.get(key);
    return tenant ? { tenant, admin: false } : null;
  }
  /** Resolves the request's bearer key or throws a 401 ApiError. */
  authenticate(req: FastifyRequest): Principal {
    const p = this.resolve(bearerToken(req.headers.authorization));
    if (!p) throw errors.unauthorized();
    return p;
  }
  /** Tenant filter for a read API: a tenant key sees only its tenant; an admin may pick any (or all). */
  scopeTenant(p: Principal, requested: string | undefined): string | undefined {
    if (p.admin) return requested;
    if (requested && requested !== p.tenant)
      throw errors.forbidden(`This key can only read tenant "${p.tenant}"`);
    return p.tenant!;
  }
  requireAdmin(p: Principal): void {
    if (!p.admin) throw errors.forbidden("This operation needs an admin key (ADMIN_API_KEYS)");
  }
}
