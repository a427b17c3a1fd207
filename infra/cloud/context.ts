/** What every module of a cloud implementation receives: the typed config and where to hang resources. */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.ts";
import type { EnvironmentProfile } from "./profile.ts";

export interface CloudContext {
  config: StackConfig;
  profile: EnvironmentProfile;
  /** "<project>-<stack>": cluster name and prefix of cloud-side names. */
  base: string;
  /** Tags/labels for every taggable resource (already in the cloud's allowed alphabet). */
  tags: Record<string, string>;
  /** parent = the cloud component, provider = the explicit cloud provider. */
  opts: pulumi.CustomResourceOptions;
}

/** The context's options plus extra dependencies (keeps any the context already carries). */
export function after(ctx: CloudContext, ...deps: pulumi.Resource[]): pulumi.CustomResourceOptions {
  const existing = ctx.opts.dependsOn;
  const base = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  return { ...ctx.opts, dependsOn: [...(base as pulumi.Input<pulumi.Resource>[]), ...deps] };
}
