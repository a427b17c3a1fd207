/**
 * The sentinel's service definition. A shell until its issue lands: the runtime serves /health, /ready and
 * /metrics from the contract; routes and consumers come with the service itself.
 */
import { defineService } from "@llmops/shared";
import { contract } from "./contract.ts";

export default defineService({ contract, setup() {} });
