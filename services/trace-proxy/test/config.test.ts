import { ConfigError } from "@llmops/shared";
import { describe, expect, it } from "vitest";
import { loadServiceConfig } from "@llmops/shared";
import traceProxy from "../src/service.ts";

const loadTraceProxyConfig = (env: Record<string, string | undefined>) => loadServiceConfig(traceProxy, env);

describe("trace-proxy config", () => {
  it("has the documented defaults", () => {
    const c = loadTraceProxyConfig({ UPSTREAM_URL: "http://127.0.0.1:9999" });
    expect(c).toMatchObject({
      PORT: 8081,
      TIMEOUT_MS: 30_000,
      MAX_CONNECTIONS: 1000,
      STORAGE_PROFILE: "lite",
      SECURITY_ANALYSIS: "on",
      defaultProvider: "default",
    });
    expect(c.providers).toEqual([{ name: "default", url: "http://127.0.0.1:9999", apiKey: undefined }]);
  });

  it("reads PROVIDERS and each provider's key from <NAME>_API_KEY", () => {
    const c = loadTraceProxyConfig({
      PROVIDERS: "openai=https://api.openai.com, groq=https://api.groq.com/openai/v1",
      OPENAI_API_KEY: "sk-o",
      GROQ_API_KEY: "sk-g",
    });
    expect(c.providers.map((p) => [p.name, p.apiKey])).toEqual([
      ["openai", "sk-o"],
      ["groq", "sk-g"],
    ]);
    expect(c.defaultProvider).toBe("openai");
  });

  it("lists every bad variable in one error, without echoing secrets", () => {
    let err: ConfigError | undefined;
    try {
      loadTraceProxyConfig({
        PORT: "http",
        TIMEOUT_MS: "-5",
        STORAGE_PROFILE: "disk",
        SECURITY_ANALYSIS: "maybe",
        PROVIDERS: "broken",
        UPSTREAM_URL: "ftp://x",
        DATABASE_URL: "mysql://user:hunter2@db/x",
      });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    for (const key of [
      "PORT",
      "TIMEOUT_MS",
      "STORAGE_PROFILE",
      "SECURITY_ANALYSIS",
      "PROVIDERS",
      "UPSTREAM_URL",
      "DATABASE_URL",
    ]) {
      expect(err!.message).toContain(key);
    }
    expect(err!.problems.length).toBeGreaterThanOrEqual(7);
    expect(err!.message).not.toContain("hunter2");
  });

  it("requires an upstream, a known DEFAULT_PROVIDER and DATABASE_URL for production storage", () => {
    expect(() => loadTraceProxyConfig({})).toThrow(/UPSTREAM_URL or PROVIDERS/);
    expect(() => loadTraceProxyConfig({ PROVIDERS: "a=http://x", DEFAULT_PROVIDER: "b" })).toThrow(
      /DEFAULT_PROVIDER/,
    );
    expect(() => loadTraceProxyConfig({ UPSTREAM_URL: "http://x", STORAGE_PROFILE: "production" })).toThrow(
      /DATABASE_URL/,
    );
  });
});
