/**
 * The layering rules (npm run lint; a repo test runs it too): each layer points one way.
 *   cloud -> nothing of what runs on it; platform -> no app and no service; shared runtime -> no service;
 *   a service -> no other service and no infra; policies -> no infra (only the neutral names module);
 *   the Deployments program -> none of them.
 */
module.exports = {
  forbidden: [
    {
      name: "cloud-knows-nothing-above-it",
      comment:
        "The cloud layer provides a cluster; it must not know what the platform or apps put on it. It may read the shared contract (plain data): the Postgres login modes and names it makes logins for.",
      severity: "error",
      from: { path: "^infra/cloud/" },
      to: { path: "^(infra/(platform|apps)/|services/)", pathNot: "^services/shared/src/contract\\.ts$" },
    },
    {
      name: "platform-names-no-service",
      comment:
        "The platform installs shared infrastructure; services and their objects belong to the apps layer.",
      severity: "error",
      from: { path: "^infra/platform/" },
      to: { path: "^(infra/apps/|services/)", pathNot: "^services/shared/src/events\\.ts$" },
    },
    {
      name: "shared-runtime-names-no-service",
      comment: "services/shared runs any service definition; it never imports one.",
      severity: "error",
      from: { path: "^services/shared/" },
      to: { path: "^services/", pathNot: "^services/shared/" },
    },
    {
      name: "service-stays-in-its-folder",
      comment: "A service talks to another over HTTP or the bus, never by importing it.",
      severity: "error",
      from: { path: "^services/([^/]+)/src/" },
      to: { path: "^services/", pathNot: ["^services/shared/", "^services/$1/"] },
    },
    {
      name: "service-tests-use-peers-not-other-services",
      comment:
        "A service's tests may start peers: the demo upstream, or another service as the runtime does (through the list), never import its internals.",
      severity: "error",
      from: { path: "^services/([^/]+)/test/" },
      to: {
        path: "^services/",
        pathNot: [
          "^services/shared/",
          "^services/demo-upstream/",
          "^services/services\\.ts$",
          "^services/$1/",
        ],
      },
    },
    {
      name: "services-never-import-infra",
      severity: "error",
      from: { path: "^services/" },
      to: { path: "^(infra|policies)/" },
    },
    {
      name: "contracts-are-plain-data",
      comment: "The Pulumi program loads every contract: zod and the shared contract helpers only.",
      severity: "error",
      from: { path: "^services/[^/]+/src/contract\\.ts$" },
      to: {
        pathNot: ["^services/shared/src/(contract|env|events)\\.ts$", "(^|/)node_modules/zod/"],
      },
    },
    {
      name: "deployment-settings-stand-alone",
      comment: "The Deployments program manages the stacks from outside; it shares no code with them.",
      severity: "error",
      from: { path: "^deployment/" },
      to: { path: "^(infra|services|policies)/" },
    },
    {
      name: "policies-never-import-infra",
      comment:
        "The pack judges what the program registers; it must not share its code (the neutral names excepted).",
      severity: "error",
      from: { path: "^policies/", pathNot: "^policies/test/" },
      to: { path: "^infra/", pathNot: "^infra/names\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|out|\\.data)/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
  },
};
