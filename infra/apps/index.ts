/** The apps layer: the four services, each a short declaration of an LlmService. */
import * as pulumi from "@pulumi/pulumi";
import type { CloudLayer } from "../cloud/types.ts";
import type { StackConfig } from "../config.ts";
import type { PlatformOutputs } from "../platform/index.ts";

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
    this.endpoints = {
      router: `https://api.${args.config.domain}`,
      traceProxy: `https://proxy.${args.config.domain}`,
    };
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
