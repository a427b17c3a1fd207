/**
 * The list of services. Adding one is its folder (package.json, src/contract.ts, src/service.ts) plus
 * one entry here: `npm start`, the image build, the offline plan and the cluster objects (ConfigMap,
 * ExternalSecret, KafkaUser ACLs, NetworkPolicy flows) all follow from its contract.
 */
import type { ServiceContract, ServiceDefinition } from "@llmops/shared";

export const SERVICE_NAMES = ["router", "trace-proxy", "cost-api", "sentinel"] as const;

/** Every service's contract (plain data: safe to load in the Pulumi program). */
export const CONTRACTS: readonly ServiceContract[] = await Promise.all(
  SERVICE_NAMES.map(async (name) => {
    const { contract } = (await import(`./${name}/src/contract.ts`)) as { contract: ServiceContract };
    if (contract.name !== name)
      throw new Error(`services/${name}/src/contract.ts declares name "${contract.name}"`);
    return contract;
  }),
);

/** A service's runtime definition (routes, consumers): loaded only where the service runs. */
export async function loadDefinition(name: string): Promise<ServiceDefinition<any, any, any>> {
  if (!CONTRACTS.some((c) => c.name === name))
    throw new Error(`unknown service "${name}" (one of: ${SERVICE_NAMES.join(", ")})`);
  return ((await import(`./${name}/src/service.ts`)) as { default: ServiceDefinition<any, any, any> })
    .default;
}
