// Lint rules: the recommended sets of ESLint and typescript-eslint, with the few choices below.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/",
      "out/",
      ".data/",
      "**/dist/",
      "coverage/",
      "infra/offline/schemas/",
      "test/.kafka/",
      "test/.renovate/",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // CommonJS config files of tools (dependency-cruiser).
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable" } },
  },
  {
    rules: {
      // Pulumi inputs, CRD bodies and fixtures are untyped JSON by nature.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          caughtErrors: "none",
        },
      ],
    },
  },
);
