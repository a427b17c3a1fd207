/**
 * The stack's public Cloud DNS zone (DNSSEC on) and its two writers: external-dns and cert-manager
 * get DNS admin on this zone only; external-dns additionally lists zones to find it.
 */
import type * as container from "@pulumi/gcp/container/index.js";
import * as dns from "@pulumi/gcp/dns/index.js";
import * as projects from "@pulumi/gcp/projects/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues, type Values } from "../values.ts";
import { gcpWorkloadIdentity } from "./identity.ts";

export interface GcpDns {
  zone: dns.ManagedZone;
  externalDns: WorkloadIdentity;
  certManager: WorkloadIdentity;
  dns01Solver: pulumi.Output<Values>;
  externalDnsValues: pulumi.Output<Values>;
}

export function gcpDns(ctx: CloudContext, project: string, cluster: container.Cluster): GcpDns {
  const { base, config, tags, opts, profile } = ctx;
  const zone = new dns.ManagedZone(
    `${base}-zone`,
    {
      name: `${base}-zone`,
      project,
      dnsName: `${config.domain}.`,
      description: `${base}: public endpoints of the LLM-operations platform`,
      visibility: "public",
      dnssecConfig: { state: "on" },
      forceDestroy: !profile.deletionProtection,
      labels: tags,
    },
    opts,
  );
  const zoneAdmin = (id: string, member: pulumi.Output<string>) =>
    new dns.DnsManagedZoneIamMember(
      `${base}-${id}-zone`,
      { project, managedZone: zone.name, role: "roles/dns.admin", member },
      opts,
    );

  const externalDns = gcpWorkloadIdentity(ctx, project, cluster, "dns", SERVICE_ACCOUNTS.externalDns);
  zoneAdmin("dns", externalDns.account.member);
  new projects.IAMMember(
    `${base}-dns-reader`,
    { project, role: "roles/dns.reader", member: externalDns.account.member },
    opts,
  );
  const certManager = gcpWorkloadIdentity(ctx, project, cluster, "certs", SERVICE_ACCOUNTS.certManager);
  zoneAdmin("certs", certManager.account.member);

  return {
    zone,
    externalDns: externalDns.identity,
    certManager: certManager.identity,
    // hostedZoneName spares cert-manager listing the project's zones; ambient Workload Identity auth.
    dns01Solver: asValues({ cloudDNS: { project, hostedZoneName: zone.name } }),
    externalDnsValues: asValues(
      cluster.name.apply((clusterName) => ({
        provider: { name: "google" },
        domainFilters: [config.domain],
        txtOwnerId: clusterName,
        extraArgs: [`--google-project=${project}`, "--google-zone-visibility=public"],
      })),
    ),
  };
}
