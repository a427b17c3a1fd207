/** Picks the cloud implementation named by config; everything downstream sees only CloudLayer. */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.ts";
import { AwsCloud } from "./aws.ts";
import { AzureCloud } from "./azure.ts";
import { GcpCloud } from "./gcp.ts";
import type { CloudLayer } from "./types.ts";

export type { CloudLayer } from "./types.ts";

export function createCloud(config: StackConfig): CloudLayer & pulumi.ComponentResource {
  switch (config.cloud) {
    case "aws":
      return new AwsCloud("cloud", { config });
    case "gcp":
      return new GcpCloud("cloud", { config });
    case "azure":
      return new AzureCloud("cloud", { config });
  }
}
