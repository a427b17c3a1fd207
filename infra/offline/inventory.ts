/**
 * The plan's resources.json: every registered resource with its inputs as given (secrets redacted).
 * The policy pack owns the format because it is the pack's input (`npm run policy -- check`).
 */
export type { Inventory, InventoryResource } from "@llmops/policies/offline";

/** What resources.json, manifests and reports hold in place of any secret value. */
export const REDACTED = "[secret]";
