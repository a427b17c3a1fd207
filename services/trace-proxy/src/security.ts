/**
 * Prompt-injection heuristics. Each rule has a weight in (0,1]; the score combines matched rules as
 * 1 - prod(1 - w) so several weak signals add up, and one strong signal is enough on its own.
 * Rules look at user/tool-supplied text, not at the caller's own system prompt.
 */
export interface Rule {
  id: string;
  weight: number;
  pattern: RegExp;
  /** Cheap prefilter: the pattern only runs if the lower-cased text contains one of these. */
  triggers?: string[];
  /**
   * Cheap prefilter for patterns that no trigger list covers: the pattern only runs if this returns
   * true. It must be a necessary condition of a match (never false when the pattern would match).
   */
  prefilter?: (text: string, lower: string) => boolean;
}

/** True if `text` has a run of at least `min` characters of [A-Za-z0-9+/] (a linear scan, no regex). */
export function hasBase64Run(text: string, min: number): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (
      (c >= 97 && c <= 122) || // a-z
      (c >= 65 && c <= 90) || // A-Z
      (c >= 48 && c <= 57) || // 0-9
      c === 43 || // +
      c === 47 // /
    ) {
      if (++run >= min) return true;
    } else run = 0;
  }
  return false;
}

export const RULES: Rule[] = [
  {
    id: "ignore_previous_instructions",
    triggers: ["ignore", "disregard", "forget", "skip", "override", "bypass"],
    weight: 0.9,
    pattern:
      /\b(ignore|disregard|forget|skip|override|bypass)\b[^.\n]{0,40}\b(previous|prior|above|earlier|preceding|all|your|the|any)\b[^.\n]{0,30}\b(instructions?|prompts?|rules?|directives?|directions?|guidelines?|context|constraints?|programming)\b/i,
  },
  {
    id: "system_prompt_exfiltration",
    triggers: ["system", "instruction", "prompt", "rules", "guidelines", "developer"],
    weight: 0.85,
    pattern:
      /\b(reveal|show|print|output|repeat|display|leak|tell me|what (is|are|was|were)|give me|dump|spell out)\b[^.\n]{0,40}\b(system prompt|system message|initial (instructions|prompt)|hidden (instructions|prompt)|your (instructions|prompt|rules|guidelines)|developer (message|instructions))\b/i,
  },
  {
    id: "repeat_text_above",
    triggers: ["above", "before this", "so far", "verbatim"],
    weight: 0.7,
    pattern:
      /\b(repeat|print|output|copy)\b[^.\n]{0,30}\b(the )?(text|words|everything|all)\b[^.\n]{0,20}\b(above|before this|so far|verbatim)\b/i,
  },
  {
    id: "jailbreak_persona",
    triggers: [
      "dan",
      "do anything",
      "developer mode",
      "jailbr",
      "god mode",
      "unfiltered",
      "evil",
      "stan",
      "aim",
    ],
    weight: 0.8,
    pattern:
      /\b(DAN|do anything now|developer mode|jailbreak|jailbroken|god mode|unfiltered mode|evil (assistant|ai)|STAN|AIM)\b/,
  },
  {
    id: "no_restrictions",
    triggers: [
      "restriction",
      "limitation",
      "filter",
      "censor",
      "guardrail",
      "safety",
      "ethical",
      "content polic",
    ],
    weight: 0.6,
    pattern:
      /\b(without|no|free (of|from)|ignore( all)?|remove( all)?|bypass|circumvent|disable)\b[^.\n]{0,20}\b(restrictions|limitations|filters|censorship|guardrails|safety (guidelines|rules|policies)|ethical (guidelines|constraints)|content polic(y|ies))\b/i,
  },
  {
    id: "role_override",
    triggers: ["you are now", "from now on", "act as", "pretend", "roleplay", "obey", "new instructions"],
    weight: 0.55,
    pattern:
      /\b(you are now|from now on,? you (are|will)|act as (an? )?(unrestricted|uncensored|different)|pretend (to be|you are)|roleplay as|you must now obey|new instructions:)/i,
  },
  {
    id: "chat_template_injection",
    triggers: ["<|", "[inst]", "<<sys>>", "#", "system", "assistant"],
    weight: 0.85,
    pattern:
      /(<\|im_start\|>|<\|im_end\|>|<\|system\|>|<\|endoftext\|>|\[INST\]|<<SYS>>|^\s*#{2,}\s*(system|instruction)s?\s*:?\s*$|^\s*(system|assistant)\s*:\s)/im,
  },
  {
    id: "privilege_escalation",
    triggers: ["mode", "i am ", "override"],
    weight: 0.6,
    pattern:
      /\b(sudo mode|admin mode|maintenance mode|debug mode enabled|i am (your|the) (developer|creator|admin(istrator)?)|authorized override)\b/i,
  },
  {
    id: "encoded_payload",
    weight: 0.55,
    // The pattern is either a keyword (base64/rot13/hex, ASCII so case-folding is plain lower-casing)
    // or a run of 120+ base64 characters; without either it cannot match.
    prefilter: (text, lower) =>
      lower.includes("base64") || lower.includes("rot13") || lower.includes("hex") || hasBase64Run(text, 120),
    pattern:
      /\b(base64|rot13|hex)[- ]?(decode|encoded|decoding)?\b[^.\n]{0,40}\b(follow|execute|executed|run|obey)\b|[A-Za-z0-9+/]{120,}={0,2}/i,
  },
  {
    id: "exfiltration_link",
    triggers: ["![", "send", "post", "upload", "exfiltrate"],
    weight: 0.5,
    pattern:
      /!\[[^\]]*\]\(https?:\/\/[^)]*\?[^)]*=\s*(\{|\$|%7B)|\b(send|post|upload|exfiltrate)\b[^.\n]{0,40}\b(conversation|chat history|api key|credentials|secrets?)\b[^.\n]{0,30}\b(to|at)\b[^.\n]{0,20}(https?:\/\/|\burl\b|\bserver\b)/i,
  },
];

export interface SecurityResult {
  score: number;
  flags: string[];
}

function addText(parts: string[], v: unknown): void {
  if (typeof v === "string") parts.push(v);
  else if (Array.isArray(v)) for (const x of v) addText(parts, x);
  else if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.text === "string") parts.push(o.text);
    else if (typeof o.content === "string" || Array.isArray(o.content)) {
      if (o.role !== "system" && o.role !== "developer") addText(parts, o.content);
    }
  }
}

/** Text the heuristics analyse: user/tool content of chat messages, prompt, input. */
export function extractUserText(body: unknown): string {
  if (!body || typeof body !== "object") return "";
  const b = body as Record<string, unknown>;
  const parts: string[] = [];
  if (Array.isArray(b.messages)) {
    for (const m of b.messages) {
      const msg = m as Record<string, unknown>;
      if (msg && msg.role !== "system" && msg.role !== "developer") addText(parts, msg.content);
    }
  }
  addText(parts, b.prompt);
  addText(parts, b.input);
  // One part (the common case) needs no join; slicing a short string returns it as is.
  return (parts.length === 1 ? parts[0]! : parts.join("\n")).slice(0, 100_000);
}

/**
 * A rule's triggers as one regex (an alternation of the escaped literals): one scan of the text per rule
 * instead of one per trigger; true exactly when the text contains one of them.
 */
const triggerRegex = new Map<Rule, RegExp>();
function anyIncluded(rule: Rule, lower: string): boolean {
  let re = triggerRegex.get(rule);
  if (!re) {
    re = new RegExp(rule.triggers!.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"));
    triggerRegex.set(rule, re);
  }
  return re.test(lower);
}

export function analyzeText(text: string): SecurityResult {
  if (!text) return { score: 0, flags: [] };
  const flags: string[] = [];
  const lower = text.toLowerCase();
  let keep = 1;
  for (const rule of RULES) {
    if (rule.triggers && !anyIncluded(rule, lower)) continue;
    if (rule.prefilter && !rule.prefilter(text, lower)) continue;
    if (rule.pattern.test(text)) {
      flags.push(rule.id);
      keep *= 1 - rule.weight;
    }
  }
  return { score: Math.round((1 - keep) * 1000) / 1000, flags };
}

export const analyzeRequest = (body: unknown): SecurityResult => analyzeText(extractUserText(body));

/** Score at or above which a prompt counts as an injection attempt (flagged; blocked in block mode). */
export const DEFAULT_THRESHOLD = 0.5;
