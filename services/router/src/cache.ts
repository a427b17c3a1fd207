/**
 * The answer cache (CACHE_ENABLED): exact match only, for non-stream calls that ask for a
 * deterministic answer (temperature 0) or opt in (x-router-cache: on). The key is the whole request
 * body in canonical form (key order does not matter, every other difference does), the resolved model
 * group and the tenant, so no answer ever crosses tenants. Only successful answers of the requested
 * group itself are kept: never an error, never a fallback group's answer under another group's name.
 * Cache-Control from the caller: no-cache skips the lookup (the fresh answer is still kept), no-store
 * skips both. Bounded by bytes (LRU) with a TTL.
 */
import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import stringify from "safe-stable-stringify";
import type { CacheResult } from "./call.ts";

export const OPT_IN_HEADER = "x-router-cache";

export interface CacheOptions {
  maxBytes: number;
  ttlMs: number;
}

interface Entry {
  body: Buffer;
  headers: Record<string, string>;
}

export interface CacheDecision {
  /** What the x-cache header says about this call. */
  result: CacheResult;
  key: string | null;
  /** Whether the answer may be read from the cache / written to it. */
  read: boolean;
  write: boolean;
}

/** Headers of the answer not worth replaying from the cache (they describe the original call). */
const VOLATILE = new Set(["x-router-attempts", "x-cache", "traceparent", "x-request-id"]);

export class AnswerCache {
  private readonly lru: LRUCache<string, Entry>;

  constructor(opts: CacheOptions) {
    this.lru = new LRUCache<string, Entry>({
      maxSize: opts.maxBytes,
      ttl: opts.ttlMs,
      sizeCalculation: (e) => e.body.length + 256,
    });
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get entries(): number {
    return this.lru.size;
  }

  /** How this call may use the cache. */
  decide(
    body: Record<string, unknown>,
    group: string,
    tenant: string,
    headers: Record<string, string | string[] | undefined>,
  ): CacheDecision {
    const bypass: CacheDecision = { result: "BYPASS", key: null, read: false, write: false };
    if (body.stream === true) return bypass;
    const optIn = String(headers[OPT_IN_HEADER] ?? "").toLowerCase() === "on";
    if (body.temperature !== 0 && !optIn) return bypass;
    const control = String(headers["cache-control"] ?? "").toLowerCase();
    if (/\bno-store\b/.test(control)) return bypass;
    const key = createHash("sha256")
      .update(tenant)
      .update("\u0000")
      .update(group)
      .update("\u0000")
      .update(stringify(body) ?? "")
      .digest("base64url");
    return { result: "MISS", key, read: !/\bno-cache\b/.test(control), write: true };
  }

  get(key: string): Entry | undefined {
    return this.lru.get(key);
  }

  set(key: string, body: Buffer, headers: Record<string, string>): void {
    const kept: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (!VOLATILE.has(k)) kept[k] = v;
    this.lru.set(key, { body, headers: kept });
  }
}
