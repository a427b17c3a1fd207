// TEMPORARY STUB (foundation slice): replaced by the real azure implementation (issue 4).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.ts";
import { type CloudLayer, type IdentityConsumer, SERVICE_ACCOUNTS } from "./types.ts";
import { asValues } from "./values.ts";

export class AzureCloud extends pulumi.ComponentResource implements CloudLayer {
  readonly cloud = "azure" as const;
  readonly clusterName: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly dnsZone: CloudLayer["dnsZone"];
  readonly identities: CloudLayer["identities"];
  readonly secretStoreProvider = asValues({});
  readonly secrets = { postgres: "postgres", llmProviders: {} };
  readonly dns01Solver = asValues({});
  readonly externalDns = { provider: "azure", values: asValues({}) };
  readonly postgres: CloudLayer["postgres"];
  readonly storageClasses: CloudLayer["storageClasses"] = {
    fastSsd: { provisioner: "stub", parameters: {} },
    standardSsd: { provisioner: "stub", parameters: {} },
    snapshotDriver: "stub",
  };

  constructor(name: string, args: { config: StackConfig }, opts?: pulumi.ComponentResourceOptions) {
    super("llmops:cloud:AzureCloud", name, {}, opts);
    this.clusterName = pulumi.output(`llmops-${args.config.environment}`);
    this.kubeconfig = pulumi.secret("apiVersion: v1\nkind: Config\n");
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this });
    this.dnsZone = {
      name: pulumi.output(args.config.domain),
      id: pulumi.output("zone"),
      nameServers: pulumi.output([]),
    };
    const none = (c: IdentityConsumer) => ({
      serviceAccount: SERVICE_ACCOUNTS[c],
      serviceAccountAnnotations: {},
      podLabels: {},
    });
    this.identities = {
      externalSecrets: none("externalSecrets"),
      externalDns: none("externalDns"),
      certManager: none("certManager"),
      loki: none("loki"),
    };
    this.postgres = {
      host: pulumi.output("postgres"),
      port: 5432,
      database: "llmops",
      secretName: pulumi.output("postgres"),
    };
    this.registerOutputs({});
  }
}
