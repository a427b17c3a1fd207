/**
 * Token counts for calls the provider sent no usage for (a stream cut or cancelled part-way): the
 * prompt's messages and the text the proxy did forward, counted with a real BPE tokenizer (gpt-tokenizer,
 * o200k_base: exact for OpenAI's GPT-4o family, an estimate for other vocabularies). The tokenizer's
 * tables are large, so they load on the first call that needs them, not at start.
 */
import type { Usage } from "./call.ts";

type Tokenizer = typeof import("gpt-tokenizer");
let tokenizer: Promise<Tokenizer> | null = null;
export const loadTokenizer = (): Promise<Tokenizer> => (tokenizer ??= import("gpt-tokenizer"));

/** The text of a chat request's prompt (messages' string and text-part contents, or a plain prompt/input). */
export function promptText(body: unknown): string {
  const b = body as { messages?: unknown; prompt?: unknown; input?: unknown } | undefined;
  if (!b || typeof b !== "object") return "";
  const parts: string[] = [];
  const add = (content: unknown) => {
    if (typeof content === "string") parts.push(content);
    else if (Array.isArray(content))
      for (const p of content) if (p && typeof p.text === "string") parts.push(p.text);
  };
  if (Array.isArray(b.messages)) for (const m of b.messages) add((m as { content?: unknown })?.content);
  add(b.prompt);
  add(b.input);
  return parts.join("\n");
}

/** The generated text in forwarded SSE data payloads (chat deltas, completions text, Responses deltas). */
export function forwardedText(payloads: readonly string[]): string {
  const out: string[] = [];
  for (const data of payloads) {
    let obj: any;
    try {
      obj = JSON.parse(data);
    } catch {
      continue;
    }
    if (typeof obj?.delta === "string") out.push(obj.delta); // Responses API: response.output_text.delta
    for (const c of Array.isArray(obj?.choices) ? obj.choices : []) {
      if (typeof c?.delta?.content === "string") out.push(c.delta.content);
      if (typeof c?.text === "string") out.push(c.text);
      for (const t of Array.isArray(c?.delta?.tool_calls) ? c.delta.tool_calls : [])
        if (typeof t?.function?.arguments === "string") out.push(t.function.arguments);
    }
  }
  return out.join("");
}

/**
 * Usage estimated from what the proxy saw: the prompt's tokens, plus the forwarded tokens; no cached
 * tokens (only the provider knows its cache). Chat framing tokens are not counted (a few per message).
 */
export function estimateUsage(tk: Tokenizer, body: unknown, payloads: readonly string[]): Usage {
  return {
    inputTokens: tk.countTokens(promptText(body)),
    outputTokens: tk.countTokens(forwardedText(payloads)),
    cachedInputTokens: 0,
    source: "estimated",
  };
}
