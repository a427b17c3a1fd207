import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{infra,services,policies,test}/**/*.test.ts"],
    exclude: ["**/node_modules/**", "out/**"],
    // Infra plans and service peers are real processes; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // GitHub's workflow parser imports its schema JSON without an import attribute, which Node's
    // loader refuses; let Vite transform the package instead.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
