/** Picks the cloud implementation named by config; everything downstream sees only CloudLayer. */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.ts";
import { AwsCloud } from "./aws.ts";
import { AzureCloud } from "./azure.ts";
import { GcpCloud } from "./gcp.ts";
import type { CloudLayer, DatabaseLoginRequest } from "./types.ts";

export type { CloudLayer, DatabaseLoginRequest } from "./types.ts";

/** The cloud of the stack, with a workload-identity Postgres login for each of `databaseLogins`. */
export function createCloud(
  config: StackConfig,
  databaseLogins: readonly DatabaseLoginRequest[],
): CloudLayer & pulumi.ComponentResource {
  const args = { config, databaseLogins };
  switch (config.cloud) {
    case "aws":
      return new AwsCloud("cloud", args);
    case "gcp":
      return new GcpCloud("cloud", args);
    case "azure":
      return new AzureCloud("cloud", args);
  }
}
