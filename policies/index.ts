import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules/index.ts";

new PolicyPack("llmops-policies", { policies, enforcementLevel: "mandatory" });
