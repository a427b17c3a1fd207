/** The plan's resources.json: every registered resource with its inputs as given (secrets redacted). */
export interface InventoryResource {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  provider?: string;
  dependsOn: string[];
  inputs: Record<string, any>;
}

export interface Inventory {
  project: string;
  stack: string;
  config: Record<string, unknown>;
  resources: InventoryResource[];
}
