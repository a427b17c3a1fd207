/**
 * VPC flow logs (accepted and rejected traffic) to CloudWatch Logs: the network audit trail the
 * security checklist asks for, kept as long as the control-plane logs.
 */
import * as cloudwatch from "@pulumi/aws/cloudwatch/index.js";
import * as ec2 from "@pulumi/aws/ec2/index.js";
import * as iam from "@pulumi/aws/iam/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import { serviceTrust } from "./partition.ts";

/** Days CloudWatch keeps cluster and network logs: long enough for an incident review. */
export function logRetentionDays(ctx: CloudContext): number {
  return ctx.profile.highAvailability ? 90 : 14;
}

export function awsFlowLogs(ctx: CloudContext, vpc: ec2.Vpc): ec2.FlowLog {
  const { base, tags, opts } = ctx;
  const group = new cloudwatch.LogGroup(
    `${base}-flow-logs`,
    { name: `/aws/vpc/${base}/flow-logs`, retentionInDays: logRetentionDays(ctx), tags },
    opts,
  );
  const role = new iam.Role(
    `${base}-flow-logs`,
    { assumeRolePolicy: serviceTrust("vpc-flow-logs.amazonaws.com"), tags },
    opts,
  );
  new iam.RolePolicy(
    `${base}-flow-logs`,
    {
      role: role.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: [group.arn, pulumi.interpolate`${group.arn}:*`],
          },
        ],
      }),
    },
    opts,
  );
  return new ec2.FlowLog(
    `${base}-flow-logs`,
    {
      vpcId: vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: group.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 600,
      tags,
    },
    opts,
  );
}
