/**
 * Kubeconfig built from cluster outputs. Credentials come from the cloud's exec credential plugin at
 * use time, so the kubeconfig (and the state holding it) never carries a long-lived token.
 */
import { stringify } from "yaml";

export interface ExecPlugin {
  command: string;
  args: string[];
  env?: { name: string; value: string }[];
  /** Shown by kubectl when the plugin is missing. */
  installHint: string;
}

export interface KubeconfigArgs {
  /** Context/cluster/user name in the file. */
  name: string;
  /** https:// URL of the API server. */
  server: string;
  /** Base64 PEM of the cluster CA. */
  certificateAuthorityData: string;
  exec: ExecPlugin;
}

export const EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1";

export function execKubeconfig(args: KubeconfigArgs): string {
  return stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: args.name,
          cluster: { server: args.server, "certificate-authority-data": args.certificateAuthorityData },
        },
      ],
      contexts: [{ name: args.name, context: { cluster: args.name, user: args.name } }],
      "current-context": args.name,
      users: [
        {
          name: args.name,
          user: {
            exec: {
              apiVersion: EXEC_API_VERSION,
              command: args.exec.command,
              args: args.exec.args,
              ...(args.exec.env ? { env: args.exec.env } : {}),
              installHint: args.exec.installHint,
              provideClusterInfo: false,
              interactiveMode: "Never",
            },
          },
        },
      ],
    },
    // No folding: an installHint URL split across lines is unreadable.
    { lineWidth: 0 },
  );
}
