/**
 * A VerticalPodAutoscaler per service in recommendation mode (updateMode Off): the recommender
 * watches the service's container and publishes target/lower/upper bounds, nothing is ever evicted
 * or resized. The HPA or ScaledObject keeps scaling on CPU; an updating VPA on the same Deployment
 * would change the requests that utilisation is measured against, and the two would fight.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../lib/labels.ts";
import type { AppsContext } from "./context.ts";
import type { ServiceProfile } from "./profile.ts";

/** The sidecar Istio injects: its size is the mesh's concern, not this service's recommendation. */
const SIDECAR = "istio-proxy";

export function verticalPodAutoscaler(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource | undefined {
  if (!ctx.platform.verticalPodAutoscaler) return undefined;
  return new k8s.apiextensions.CustomResource(
    `${profile.name}-vpa`,
    {
      apiVersion: "autoscaling.k8s.io/v1",
      kind: "VerticalPodAutoscaler",
      metadata: objectMeta(profile.name, ctx.platform.appNamespace, labels),
      spec: {
        targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: profile.name },
        updatePolicy: { updateMode: "Off" },
        resourcePolicy: {
          containerPolicies: [
            { containerName: profile.name, controlledResources: ["cpu", "memory"] },
            { containerName: SIDECAR, mode: "Off" },
          ],
        },
      },
    },
    opts,
  );
}
