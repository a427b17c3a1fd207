/**
 * Token estimates before a call (what a prompt will cost against a tenant's tpm, whether it fits a
 * deployment's context window) with the o200k tokenizer of current OpenAI models. Counting runs at
 * about 1 MB of text per 50 ms, so it runs only when a limit or a context window needs the figure, and
 * a prompt whose UTF-8 size already fits (a token is at least one byte) is never counted for a window.
 * The tokenizer's tables cost ~70 MB and ~0.6 s to load, so the router loads them at start only when
 * its configuration can ask for a count (loadTokenizer); until then a count is the UTF-8 bound.
 */
let countTokens: ((text: string) => number) | null = null;

/** Loads the tokenizer once; PromptSize counts with it from then on. */
export async function loadTokenizer(): Promise<void> {
  countTokens ??= (await import("gpt-tokenizer")).countTokens;
}

/** Per-message framing tokens of the chat format (role and separators), as OpenAI counts them. */
const PER_MESSAGE = 3;
const PER_REPLY = 3;

interface ChatBody {
  messages?: unknown;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
}

/** The text a prompt carries: string contents and the text parts of multi-part contents. */
function* texts(messages: unknown): Generator<string> {
  if (!Array.isArray(messages)) return;
  for (const m of messages) {
    const content = (m as { content?: unknown })?.content;
    if (typeof content === "string") yield content;
    else if (Array.isArray(content))
      for (const part of content) if (typeof part?.text === "string") yield part.text;
    const name = (m as { name?: unknown })?.name;
    if (typeof name === "string") yield name;
  }
}

export class PromptSize {
  private counted: number | null = null;

  constructor(private readonly body: ChatBody) {}

  /** The output the caller allows (max_completion_tokens or max_tokens), 0 when unbounded. */
  get maxOutput(): number {
    const v = this.body.max_completion_tokens ?? this.body.max_tokens;
    return typeof v === "number" && v > 0 ? v : 0;
  }

  /** Upper bound without counting: UTF-8 bytes plus framing. */
  get bound(): number {
    let bytes = PER_REPLY;
    const n = Array.isArray(this.body.messages) ? this.body.messages.length : 0;
    for (const t of texts(this.body.messages)) bytes += Buffer.byteLength(t);
    return bytes + n * PER_MESSAGE;
  }

  /** The prompt's tokens, counted once (the UTF-8 bound, an overestimate, without the tokenizer). */
  get tokens(): number {
    if (this.counted === null) {
      if (!countTokens) return (this.counted = this.bound);
      let n = PER_REPLY;
      for (const t of texts(this.body.messages)) n += countTokens(t);
      const messages = Array.isArray(this.body.messages) ? this.body.messages.length : 0;
      this.counted = n + messages * PER_MESSAGE;
    }
    return this.counted;
  }

  /** Whether prompt plus allowed output fits a context window; counts only when the bound does not. */
  fits(contextWindow: number | undefined): boolean {
    if (contextWindow === undefined) return true;
    if (this.bound + this.maxOutput <= contextWindow) return true;
    return this.tokens + this.maxOutput <= contextWindow;
  }
}

const TOTAL_TOKENS = /"total_tokens"\s*:\s*(\d+)/;

/**
 * The total tokens an answer reports, read from the end of its text (the usage object of a completion,
 * or a stream's final usage chunk with stream_options.include_usage) without parsing it all.
 */
export function reportedTokens(tail: string): number | null {
  const m = TOTAL_TOKENS.exec(tail);
  return m ? Number(m[1]) : null;
}
