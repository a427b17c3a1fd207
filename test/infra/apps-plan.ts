/**
 * Reading the apps layer out of a plan, for the specs of its pieces (apps.test.ts, postgres-exporter.test.ts).
 */
import { expect } from "vitest";
import { roleOfUrl } from "../../services/shared/src/roles.ts";
import type { Plan } from "../helpers/plan.ts";

export const APP_NS = "llmops";

/**
 * Objects registered under the Apps component (the apps layer's own manifests). The Postgres
 * exporter's Helm release is no manifest: test/infra/postgres-exporter.test.ts specifies it.
 */
export function appsManifests(plan: Plan): any[] {
  return plan.inventory.resources
    .filter(
      (r) =>
        r.urn.includes("::llmops:apps:") &&
        r.type.startsWith("kubernetes:") &&
        r.type !== "kubernetes:helm.sh/v3:Release",
    )
    .map((r) => r.inputs);
}

/** The one apps-layer object of that kind and name (throws on none or several). */
export function appsObject(plan: Plan, kind: string, name: string, namespace = APP_NS): any {
  const found = appsManifests(plan).filter(
    (m) => m.kind === kind && m.metadata?.name === name && m.metadata?.namespace === namespace,
  );
  if (found.length !== 1) throw new Error(`expected one ${kind} ${namespace}/${name}, found ${found.length}`);
  return found[0];
}

/**
 * A Postgres login's Secret as infra/apps/postgres-login.ts makes it: a Password generated in the
 * cluster once, rendered into a DATABASE_URL for `role` from the cloud's entry (never its admin URL or
 * password). Returns the ExternalSecret's template data and the URL rendered with sample values.
 */
export function expectGeneratedLogin(
  plan: Plan,
  secret: string,
  role: string,
): { data: Record<string, string>; rendered: string } {
  const generator = appsObject(plan, "Password", `${secret}-password`);
  expect(generator.apiVersion).toBe("generators.external-secrets.io/v1alpha1");
  // Letters and digits only: the password drops into a URL unescaped.
  expect(generator.spec).toMatchObject({ symbols: 0 });
  expect(generator.spec.length).toBeGreaterThanOrEqual(32);
  const spec = appsObject(plan, "ExternalSecret", secret).spec;
  expect(spec.refreshPolicy).toBe("CreatedOnce");
  expect(spec.dataFrom).toEqual([
    {
      sourceRef: {
        generatorRef: {
          apiVersion: "generators.external-secrets.io/v1alpha1",
          kind: "Password",
          name: `${secret}-password`,
        },
      },
    },
  ]);
  const entry = appsObject(plan, "ExternalSecret", "postgres-admin").spec.data[0].remoteRef.key;
  expect(spec.data.map((d: any) => d.remoteRef)).toEqual(
    ["host", "port", "database", "sslmode"].map((property) => ({ key: entry, property })),
  );
  const data = spec.target.template.data as Record<string, string>;
  const rendered = data
    .DATABASE_URL!.replace("{{ .password }}", "p".repeat(40))
    .replace("{{ .host }}", "db.internal")
    .replace("{{ .port }}", "5432")
    .replace("{{ .database }}", "llmops")
    .replace("{{ .sslmode }}", "verify-full");
  expect(rendered).not.toContain("{{");
  // A URL the roles Job accepts, naming the login's role.
  expect(roleOfUrl(rendered).role).toBe(role);
  return { data, rendered };
}

/**
 * A token login's Secret as infra/apps/postgres-login.ts makes it: no Password generator, an
 * ExternalSecret rendering DATABASE_URL for `user` from the cloud's entry with no password in it (the
 * client signs in with its workload identity's token). Returns the URL rendered with sample values.
 */
export function expectTokenLogin(plan: Plan, secret: string, user: string): URL {
  expect(
    appsManifests(plan).filter((m) => m.kind === "Password" && m.metadata.name === `${secret}-password`),
  ).toEqual([]);
  const spec = appsObject(plan, "ExternalSecret", secret).spec;
  expect(spec.dataFrom).toBeUndefined();
  // Nothing in it is generated: refreshed like the admin entry, so a moved server reaches its clients.
  expect(spec.refreshPolicy).toBeUndefined();
  expect(spec.refreshInterval).toBe("1h");
  const entry = appsObject(plan, "ExternalSecret", "postgres-admin").spec.data[0].remoteRef.key;
  expect(spec.data.map((d: any) => d.remoteRef)).toEqual(
    ["host", "port", "database", "sslmode"].map((property) => ({ key: entry, property })),
  );
  const data = spec.target.template.data as Record<string, string>;
  expect(Object.keys(data)).toEqual(["DATABASE_URL"]);
  const rendered = data
    .DATABASE_URL!.replace("{{ .host }}", "db.internal")
    .replace("{{ .port }}", "5432")
    .replace("{{ .database }}", "llmops")
    .replace("{{ .sslmode }}", "verify-full");
  expect(rendered).not.toContain("{{");
  const url = new URL(rendered);
  expect(decodeURIComponent(url.username)).toBe(user);
  expect(url.password).toBe("");
  expect(url.host).toBe("db.internal:5432");
  return url;
}
