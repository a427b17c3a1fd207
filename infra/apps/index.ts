/**
 * The apps layer: one LlmService per service in services/services.ts, from its contract and this
 * platform's tuning. What every service gets (and the production checklists demand) is LlmService's
 * job, not theirs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CloudLayer } from "../cloud/types.ts";
import type { StackConfig } from "../config.ts";
import type { PlatformOutputs } from "../platform/index.ts";
import { type AppsContext, serviceLabels } from "./context.ts";
import { LlmService } from "./llm-service.ts";
import { limitRange, resourceQuota } from "./namespace.ts";
import {
  databaseClientEnv,
  databaseLogin,
  databaseSecret,
  databaseSecretName,
  postgresRoles,
} from "./database.ts";
import { postgresCaConfigMap } from "./postgres.ts";
import { exporterLabels, exporterWorkload, monitorSecret, postgresExporter } from "./postgres-exporter.ts";
import type { ServiceProfile } from "./profile.ts";
import { profiles } from "./services.ts";

export interface AppsArgs {
  config: StackConfig;
  cloud: CloudLayer;
  platform: PlatformOutputs;
}

export class Apps extends pulumi.ComponentResource {
  /** Public URLs of the services exposed through the Gateway. */
  readonly endpoints: Record<string, string>;

  constructor(name: string, args: AppsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llmops:apps:Apps", name, {}, opts);
    const ctx: AppsContext = { config: args.config, cloud: args.cloud, platform: args.platform };
    const all = profiles(ctx);
    const unknown = Object.keys(args.config.imageDigests).filter((s) => !all.some((p) => p.name === s));
    if (unknown.length > 0)
      throw new Error(
        `imageDigests: no such service ${unknown.join(", ")} (services: ${all.map((p) => p.name).join(", ")})`,
      );

    const users = all.filter((p) => p.database);
    const nsLabels = serviceLabels(ctx, "apps", "namespace-policy");
    resourceQuota(ctx, all, nsLabels, { parent: this }, users.length ? [exporterWorkload(ctx)] : []);
    limitRange(ctx, all, nsLabels, { parent: this });

    const database = users.length ? this.database(ctx, users) : undefined;
    const services = all.map(
      (profile) =>
        new LlmService(
          profile.name,
          {
            profile,
            context: ctx,
            ...(profile.database && database
              ? {
                  needs: database.needs,
                  databaseSecretName: databaseSecretName(profile),
                  databaseEnv: databaseClientEnv(ctx),
                  // Its Postgres login: the cloud identity the ServiceAccount assumes.
                  identity: databaseLogin(ctx, profile).identity,
                }
              : {}),
          },
          { parent: this },
        ),
    );
    this.endpoints = Object.fromEntries(
      services.filter((s) => s.publicUrl).map((s) => [camel(s.serviceName), s.publicUrl!]),
    );
    this.registerOutputs({ endpoints: this.endpoints });
  }

  /**
   * The CA bundle, each user's own credentials, the monitoring login's, the Job that provisions
   * their roles, and the metrics exporter that logs in as the monitoring login.
   */
  private database(ctx: AppsContext, users: ServiceProfile[]): { needs: pulumi.Resource[] } {
    const ca = postgresCaConfigMap(ctx, serviceLabels(ctx, "postgres", "database-tls"), { parent: this });
    const cr: pulumi.CustomResourceOptions = { parent: this, dependsOn: ctx.platform.ready };
    const secrets = users.map((u) => databaseSecret(ctx, u, serviceLabels(ctx, u.name, u.component), cr));
    const exporter = exporterLabels(ctx);
    const monitor = monitorSecret(ctx, exporter, cr);
    const job = postgresRoles(ctx, users, secrets, { parent: this, dependsOn: [ca], crOpts: cr, monitor });
    postgresExporter(ctx, exporter, {
      parent: this,
      dependsOn: [...ctx.platform.appNamespaceReady, ca, job],
      crOpts: cr,
    });
    return { needs: [ca, job] };
  }
}

/** trace-proxy -> traceProxy: stack output keys stay identifier-friendly. */
function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
