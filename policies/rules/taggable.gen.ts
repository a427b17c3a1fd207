/**
 * Generates rules/taggable.json: the resource types of the cloud SDKs the platform uses whose inputs take
 * tags (aws, azure-native) or labels (gcp), read from the installed SDKs' Args interfaces, so cloud-tags
 * also catches a taggable resource that was given no tags at all.
 * Run: npx tsx policies/rules/taggable.gen.ts && npx prettier --write policies/rules/taggable.json
 * (a test checks the file matches the installed SDKs).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** SDK modules the platform's clouds use (keeps the list small and reviewable). */
export const MODULES = {
  aws: [
    "cloudwatch",
    "ec2",
    "ecr",
    "efs",
    "eks",
    "elasticache",
    "iam",
    "kms",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
  ],
  gcp: [
    "compute",
    "container",
    "dns",
    "kms",
    "logging",
    "secretmanager",
    "sql",
    "storage",
    "pubsub",
    "artifactregistry",
  ],
  "azure-native": [
    "authorization",
    "containerregistry",
    "containerservice",
    "dbforpostgresql",
    "dns",
    "keyvault",
    "managedidentity",
    "network",
    "operationalinsights",
    "privatedns",
    "resources",
    "storage",
  ],
} as const;

const req = createRequire(import.meta.url);

export function scan(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [sdk, modules] of Object.entries(MODULES)) {
    const root = dirname(req.resolve(`@pulumi/${sdk}/package.json`));
    const key = sdk === "gcp" ? "labels" : "tags";
    const found = new Set<string>();
    for (const m of modules) {
      const dir = join(root, m);
      let files: string[];
      try {
        files = readdirSync(dir).filter((f) => f.endsWith(".js") && !f.startsWith("get") && f !== "index.js");
      } catch {
        continue;
      }
      for (const f of files) {
        const js = readFileSync(join(dir, f), "utf8");
        const token = js.match(/__pulumiType = ['"]([^'"]+)['"]/)?.[1];
        if (!token) continue;
        const dts = readFileSync(join(dir, f.replace(/\.js$/, ".d.ts")), "utf8");
        const cls = token.split(":")[2]!;
        const args = dts.match(new RegExp(`export interface ${cls}Args \\{([\\s\\S]*?)\\n\\}`))?.[1] ?? "";
        if (new RegExp(`^\\s+(readonly )?${key}\\?:`, "m").test(args)) found.add(token);
      }
    }
    out[sdk] = [...found].sort();
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(new URL("./taggable.json", import.meta.url), `${JSON.stringify(scan(), null, 1)}\n`);
}
