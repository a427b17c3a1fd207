import { type RuleFixtures, mut, c0, D, dep, variant } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "secretKeyRef env", resources: [dep("router", D)] },
    { name: "plain configmap", resources: [res(T.cm, "router-config", F.configMap())] },
    {
      name: "token-ish names with harmless values",
      resources: [
        dep(
          "router",
          mut(D, (d) =>
            c0(d).env.push(
              { name: "TOKENIZER", value: "cl100k_base" },
              { name: "MAX_TOKENS", value: "4096" },
              { name: "API_KEYS_FILE", value: "/etc/llmops/keys" },
              { name: "KAFKA_SSL_KEY_FILE", value: "/etc/kafka/tls/user.key" },
              { name: "KEYCLOAK_URL", value: "https://sso.example.com" },
              { name: "HOTKEYS", value: "ctrl+k" },
              { name: "monkeyPatch", value: "on" },
            ),
          ),
        ),
      ],
    },
  ],
  bad: [
    {
      name: "AZURE_OPENAI_KEY literal in env",
      resources: [
        variant((d) =>
          c0(d).env.push({ name: "AZURE_OPENAI_KEY", value: "0f3c9a7be1d24c55a9e0b4f1c2d3e4f5" }),
        ),
      ],
    },
    {
      name: "a *_KEY literal in a ConfigMap",
      resources: [
        res(
          T.cm,
          "router-config",
          mut(F.configMap(), (c) => (c.data.SIGNING_KEY = "kq9-Zt2+vX")),
        ),
      ],
    },
    {
      name: "camelCase openaiApiKey literal in env",
      resources: [variant((d) => c0(d).env.push({ name: "openaiApiKey", value: "abc123def456" }))],
    },
    {
      name: "connection string literal in env",
      resources: [
        variant((d) =>
          c0(d).env.push({
            name: "STORAGE_CONNECTION_STRING",
            value: "DefaultEndpointsProtocol=https;AccountKey=x",
          }),
        ),
      ],
    },
    {
      name: "client key list literal in env",
      resources: [
        dep(
          "router",
          mut(D, (d) => c0(d).env.push({ name: "API_KEYS", value: "key-abc:tenant-a" })),
        ),
      ],
    },
    {
      name: "password literal in env",
      resources: [
        dep(
          "router",
          mut(D, (d) => c0(d).env.push({ name: "DB_PASSWORD", value: "hunter22" })),
        ),
      ],
    },
    {
      name: "provider key literal in env",
      resources: [
        dep(
          "router",
          mut(D, (d) => c0(d).env.push({ name: "UPSTREAM", value: `sk-${"x".repeat(32)}` })),
        ),
      ],
    },
    {
      name: "url with credentials in configmap",
      resources: [
        res(
          T.cm,
          "router-config",
          mut(F.configMap(), (c) => (c.data.DATABASE_URL = "postgres://app:s3cret@db:5432/llmops")),
        ),
      ],
    },
    {
      name: "api key in configmap",
      resources: [
        res(
          T.cm,
          "router-config",
          mut(F.configMap(), (c) => (c.data.OPENAI_API_KEY = "abc123def456")),
        ),
      ],
    },
  ],
};
