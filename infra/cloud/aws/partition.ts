/** ARN building without an invoke per plan: partition and account come from what we already know. */

/** The ARN partition of a region (GovCloud and China have their own). */
export function partition(region: string): string {
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("cn-")) return "aws-cn";
  return "aws";
}

/** S3's regional endpoint (China's regions answer under amazonaws.com.cn). */
export function s3Endpoint(region: string): string {
  return `s3.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}`;
}

/** A managed policy of AWS by name, e.g. managedPolicy("us-east-1", "AmazonEKSClusterPolicy"). */
export function managedPolicy(region: string, name: string): string {
  return `arn:${partition(region)}:iam::aws:policy/${name}`;
}

/** IAM trust policy letting an AWS service assume a role. */
export function serviceTrust(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: service }, Action: ["sts:AssumeRole", "sts:TagSession"] },
    ],
  });
}
