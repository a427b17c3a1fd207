/**
 * Runs the real infra program under Pulumi mocks and records every resource it registers.
 *
 * The mock monitor sees type, name, inputs and provider; a stack transformation sees parent and
 * dependsOn. Both see resources in registration order, so records pair up per (type, name).
 */
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { type InventoryResource, REDACTED } from "./inventory.ts";
import { createMocks, type MockContext } from "./mocks.ts";

export interface CaptureOptions {
  project: string;
  stack: string;
  /** "project:key" -> value, as the engine passes config. */
  config: Record<string, string>;
  secretKeys: string[];
  programPath: string;
  mockContext: MockContext;
}

export interface Capture {
  resources: InventoryResource[];
  outputs: Record<string, unknown>;
  unmockedCalls: string[];
}

interface Registration {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

interface Declaration {
  type: string;
  name: string;
  resource: pulumi.Resource;
  parent?: pulumi.Resource;
  dependsOn: pulumi.Resource[];
}

const urnOf = (r: pulumi.Resource): Promise<string> =>
  new Promise((resolve) => {
    r.urn.apply((u) => {
      resolve(u);
      return u;
    });
  });

const key = (type: string, name: string) => `${type}::${name}`;

export async function capture(opts: CaptureOptions): Promise<Capture> {
  const registrations = new Map<string, Registration[]>();
  const declarations: Declaration[] = [];
  const unmocked = new Set<string>();
  const mocks = createMocks(opts.mockContext, unmocked);

  pulumi.runtime.setAllConfig(opts.config, opts.secretKeys);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const list = registrations.get(key(args.type, args.name)) ?? [];
        list.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        registrations.set(key(args.type, args.name), list);
        return mocks.newResource(args);
      },
      call: (args) => mocks.call(args),
    },
    opts.project,
    opts.stack,
    false,
  );

  const outputs = await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      declarations.push({
        type: args.type,
        name: args.name,
        resource: args.resource,
        parent: args.opts.parent,
        dependsOn: flattenDependsOn(args.opts.dependsOn),
      });
      return undefined;
    });
    const program = await import(pathToFileURL(opts.programPath).href);
    // A program may export stack outputs as named exports (top-level style).
    return Object.fromEntries(Object.entries(program).filter(([k]) => k !== "default"));
  });
  await pulumi.runtime.disconnect();

  const urns = new Map<pulumi.Resource, string>();
  await Promise.all(declarations.map(async (d) => urns.set(d.resource, await urnOf(d.resource))));
  const stackUrn = `urn:pulumi:${opts.stack}::${opts.project}::pulumi:pulumi:Stack::${opts.project}-${opts.stack}`;

  const seen = new Map<string, number>();
  const resources: InventoryResource[] = declarations.map((d) => {
    const k = key(d.type, d.name);
    const index = seen.get(k) ?? 0;
    seen.set(k, index + 1);
    const reg = registrations.get(k)?.[index];
    const parent = d.parent ? urns.get(d.parent) : stackUrn;
    return {
      urn: urns.get(d.resource)!,
      type: d.type,
      name: d.name,
      ...(parent ? { parent } : {}),
      ...(reg?.provider ? { provider: providerUrn(reg.provider) } : {}),
      dependsOn: d.dependsOn.map((r) => urns.get(r)).filter((u): u is string => u !== undefined),
      inputs: redactSecrets(reg?.inputs ?? {}) as Record<string, any>,
    };
  });
  const root: InventoryResource = {
    urn: stackUrn,
    type: "pulumi:pulumi:Stack",
    name: `${opts.project}-${opts.stack}`,
    dependsOn: [],
    inputs: {},
  };
  return {
    resources: [root, ...resources],
    outputs: (outputs ?? {}) as Record<string, unknown>,
    unmockedCalls: [...unmocked].sort(),
  };
}

/** What the engine would store encrypted (any value the program marked secret) is written as "[secret]". */
function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return REDACTED;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

function flattenDependsOn(dependsOn: unknown): pulumi.Resource[] {
  if (!dependsOn) return [];
  const list = Array.isArray(dependsOn) ? dependsOn : [dependsOn];
  return list.filter((r): r is pulumi.Resource => pulumi.Resource.isInstance(r));
}

/** Provider references are "<urn>::<id>"; the URN itself contains "::". */
function providerUrn(ref: string): string {
  return ref.slice(0, ref.lastIndexOf("::"));
}
