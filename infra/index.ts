/**
 * The LLM-operations platform, one stack:
 *
 *   cloud     cluster, network, DNS zone, secret store, workload identity, Postgres  -> k8s Provider
 *   platform  Kafka, cert-manager, Prometheus, Loki, KEDA, Gatekeeper, Istio + Gateway API, ESO, external-dns
 *   apps      router, trace-proxy, cost-api, sentinel
 */
import * as pulumi from "@pulumi/pulumi";
import { Apps } from "./apps/index.ts";
import { createCloud } from "./cloud/index.ts";
import { ConfigError, loadStackConfig, type StackConfig } from "./config.ts";
import { DATABASE_LOGINS } from "./database-logins.ts";
import { Platform } from "./platform/index.ts";
import { validateStack } from "./validate.ts";

function config(): StackConfig {
  try {
    return validateStack(loadStackConfig());
  } catch (err) {
    // RunError prints the message alone: a config mistake is not a program crash.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const stack = config();
const cloud = createCloud(stack, DATABASE_LOGINS);
const platform = new Platform("platform", { config: stack, cloud }, { provider: cloud.provider });
const apps = new Apps("apps", { config: stack, cloud, platform }, { provider: cloud.provider });

export const clusterName = cloud.clusterName;
export const kubeconfig = pulumi.secret(cloud.kubeconfig);
export const dnsZone = { name: cloud.dnsZone.name, nameServers: cloud.dnsZone.nameServers };
/** The one manual step of a new stack, and whether the stack says it is done (README, "DNS delegation"). */
export const dnsDelegation = stack.dnsDelegated
  ? { delegated: true, issuer: "the environment's Let's Encrypt issuer" }
  : {
      delegated: false,
      issuer: "letsencrypt-staging",
      next: pulumi.interpolate`Create NS records for ${stack.domain} at its parent zone listing ${cloud.dnsZone.nameServers.apply((ns) => ns.join(", "))}; once \`dig NS ${stack.domain}\` returns them, run \`pulumi config set dnsDelegated true\` and \`pulumi up\``,
    };
export const endpoints = apps.endpoints;
