/**
 * The Google APIs the layer calls, enabled by the stack so a fresh project plans and applies in one
 * pass. Never disabled on destroy: other workloads in the project may use them too.
 */
import * as projects from "@pulumi/gcp/projects/index.js";
import type * as pulumi from "@pulumi/pulumi";

export const GCP_APIS = [
  "compute.googleapis.com",
  "container.googleapis.com",
  "cloudkms.googleapis.com",
  "dns.googleapis.com",
  "iam.googleapis.com",
  "secretmanager.googleapis.com",
  "servicenetworking.googleapis.com",
  "sqladmin.googleapis.com",
] as const;

export function gcpApis(
  base: string,
  project: string,
  opts: pulumi.CustomResourceOptions,
): projects.Service[] {
  return GCP_APIS.map(
    (service) =>
      new projects.Service(
        `${base}-${service.split(".")[0]}`,
        { project, service, disableOnDestroy: false, disableDependentServices: false },
        opts,
      ),
  );
}
