/**
 * AKS kubeconfig: server and CA from the cluster's user credentials (AKS exposes the CA nowhere
 * else), authentication through kubelogin against Entra ID instead of the embedded device-code flow.
 */
import * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { execKubeconfig } from "../kubeconfig.ts";
import type { AzureContext } from "./context.ts";

/** The AKS AAD server application id: the audience of every AKS Entra token (same in all tenants). */
export const AKS_AAD_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

export function azureKubeconfig(
  ctx: AzureContext,
  cluster: containerservice.ManagedCluster,
): pulumi.Output<string> {
  const credentials = containerservice.listManagedClusterUserCredentialsOutput(
    { resourceGroupName: ctx.resourceGroup.name, resourceName: cluster.name },
    { parent: ctx.opts.parent, provider: ctx.opts.provider },
  );
  return pulumi.secret(
    pulumi.all([cluster.name, credentials.kubeconfigs]).apply(([name, kubeconfigs]) => {
      const issued = parse(Buffer.from(kubeconfigs[0]!.value, "base64").toString("utf8"));
      const cluster = issued.clusters[0].cluster;
      return execKubeconfig({
        name,
        server: cluster.server,
        certificateAuthorityData: cluster["certificate-authority-data"],
        exec: {
          command: "kubelogin",
          // azurecli reuses `az login`; CI sets AAD_LOGIN_METHOD=workloadidentity|spn to override.
          args: ["get-token", "--login", "azurecli", "--server-id", AKS_AAD_SERVER_ID],
          installHint:
            "Install kubelogin: az aks install-cli (https://azure.github.io/kubelogin/install.html)",
        },
      });
    }),
  );
}
