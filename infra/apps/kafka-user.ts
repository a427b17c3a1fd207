/**
 * The service's KafkaUser: a client certificate (mutual TLS) and ACLs for exactly the topics its
 * contract produces and consumes, plus its consumer groups (by prefix). Strimzi's User Operator writes
 * the certificate to a Secret named after the user, which the pod mounts.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../lib/labels.ts";
import type { AppsContext } from "./context.ts";
import type { ServiceProfile } from "./profile.ts";

/** The KafkaUser, and so the Secret with its user.crt/user.key, is named after the service. */
export const kafkaUserSecret = (profile: ServiceProfile): string => profile.name;

/** Least privilege: produce = Write+Describe, consume = Read+Describe plus its own consumer groups. */
export function aclsFor(profile: ServiceProfile) {
  const topic = (name: string) => ({ type: "topic", name, patternType: "literal" });
  const { produces, consumes, groupPrefix } = profile.kafka;
  return [
    ...produces.map((t) => ({ type: "allow", resource: topic(t), operations: ["Write", "Describe"] })),
    ...consumes.map((c) => ({ type: "allow", resource: topic(c.topic), operations: ["Read", "Describe"] })),
    ...(consumes.length
      ? [
          {
            type: "allow",
            // Groups are <prefix>-<group>[-<instance>] (services/shared consumerGroupId).
            resource: { type: "group", name: groupPrefix, patternType: "prefix" },
            operations: ["Read", "Describe"],
          },
        ]
      : []),
  ];
}

export function kafkaUser(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  const name = kafkaUserSecret(profile);
  return new k8s.apiextensions.CustomResource(
    `kafka-user-${profile.name}`,
    {
      apiVersion: "kafka.strimzi.io/v1",
      kind: "KafkaUser",
      metadata: objectMeta(name, ctx.platform.appNamespace, {
        ...labels,
        // The User Operator only manages users labelled with their cluster.
        "strimzi.io/cluster": ctx.platform.kafka.clusterName,
      }),
      spec: {
        authentication: { type: "tls" },
        authorization: { type: "simple", acls: aclsFor(profile) },
      },
    },
    opts,
  );
}
