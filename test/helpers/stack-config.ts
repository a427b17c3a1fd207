/**
 * The least stack config the schema accepts (a dev stack on AWS), for specs of config parsing and
 * plan-time validation; `overrides` replaces top-level keys.
 */
export function minimalStackConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cloud: "aws",
    environment: "dev",
    region: "us-east-1",
    domain: "dev.llm.example.com",
    kubernetesVersion: "1.34",
    imageRegistry: "ghcr.io/acme/llmops",
    imageTag: "0.1.0",
    acmeEmail: "ops@example.com",
    llmProviders: [{ name: "openai", baseUrl: "https://api.openai.com/v1", apiKey: "sk-test" }],
    ...overrides,
  };
}
