/** Chart/CRD value blocks are free-form objects; this types them as the layer's `Output<Values>`. */
import * as pulumi from "@pulumi/pulumi";

export type Values = Record<string, unknown>;

export function asValues(value: pulumi.Input<object>): pulumi.Output<Values> {
  return pulumi.output(value) as unknown as pulumi.Output<Values>;
}
