// TEMPORARY STUB (foundation slice): replaced by the real aws implementation (issue 4).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config.ts";
import type { CloudLayer } from "./types.ts";

export class AwsCloud extends pulumi.ComponentResource implements CloudLayer {
  readonly cloud = "aws" as const;
  readonly clusterName: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly dnsZone: CloudLayer["dnsZone"];
  readonly identities: CloudLayer["identities"];
  readonly secretStoreProvider = pulumi.output({});
  readonly dns01Solver = pulumi.output({});
  readonly externalDns = { provider: "aws", values: pulumi.output({}) };
  readonly postgres: CloudLayer["postgres"];
  readonly storageClasses: CloudLayer["storageClasses"] = {
    fastSsd: { provisioner: "stub", parameters: {} },
    standardSsd: { provisioner: "stub", parameters: {} },
    snapshotDriver: "stub",
  };

  constructor(name: string, args: { config: StackConfig }, opts?: pulumi.ComponentResourceOptions) {
    super("llmops:cloud:AwsCloud", name, {}, opts);
    this.clusterName = pulumi.output(`llmops-${args.config.environment}`);
    this.kubeconfig = pulumi.secret("apiVersion: v1\nkind: Config\n");
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this });
    this.dnsZone = {
      name: pulumi.output(args.config.domain),
      id: pulumi.output("zone"),
      nameServers: pulumi.output([]),
    };
    const none = { serviceAccountAnnotations: {}, podLabels: {} };
    this.identities = { externalSecrets: none, externalDns: none, certManager: none, loki: none };
    this.postgres = {
      host: pulumi.output("postgres"),
      port: 5432,
      database: "llmops",
      secretName: pulumi.output("postgres"),
    };
    this.registerOutputs({});
  }
}
