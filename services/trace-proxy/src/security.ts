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

/** What an override targets: the model's instructions, rules and policies, in the words people use. */
const INSTRUCTIONS =
  "(instructions?|prompts?|rules?|directives?|directions?|guidelines?|guardrails?|context|constraints?|programming|polic(y|ies)|content policy|system (message|prompt)|training|setup|configuration)";

export const RULES: Rule[] = [
  {
    id: "ignore_previous_instructions",
    triggers: [
      "ignore",
      "disregard",
      "forget",
      "skip",
      "override",
      "overlook",
      "bypass",
      "set aside",
      "abandon",
      "not follow",
      "n't follow",
      "stop following",
      "no longer appl",
      "expired",
      "revoked",
      "void",
      "cancel",
      "no longer valid",
      "everything you were told",
    ],
    weight: 0.9,
    pattern: new RegExp(
      [
        `\\b(ignore|disregard|forget|skip|override|overlook|bypass|set aside|abandon|(do|does) not follow|(don|doesn)'t follow|stop following)\\b[^.\\n]{0,40}\\b(previous|prior|above|earlier|preceding|original|all|your|the|any|whatever|those)\\b[^.\\n]{0,30}\\b${INSTRUCTIONS}`,
        `\\b(disregard|forget|ignore)\\b[^.\\n]{0,20}\\beverything you (were|have been) (told|given)`,
        `\\b(your|the) (previous|prior|original|earlier) ${INSTRUCTIONS} (have|has|are|is) (expired|revoked|void|cancelled|canceled|no longer valid)`,
        `\\b${INSTRUCTIONS}[^.\\n]{0,20}\\bno longer appl(y|ies) to you`,
      ].join("|"),
      "i",
    ),
  },
  {
    id: "ignore_previous_instructions_translated",
    // The same override in the languages most often used to slip past English-only filters (French
    // needs its article: "ignore ... instructions" alone is the English rule's).
    triggers: ["ignor", "olvid", "oubli", "vergiss", "vergessen", "dimentica", "esque"],
    weight: 0.9,
    pattern:
      /\b(ignorez|ignore|oubliez|oublie)\b[^.\n]{0,30}\b(les|tes|vos|toutes)\b[^.\n]{0,20}\b(instructions|consignes|r[eè]gles)|\b(ignoriere|ignorieren sie|vergiss|vergessen sie)\b[^.\n]{0,40}\b(anweisungen|regeln|vorgaben)\b|\b(ignora|ignore|olvida|olvide)\b[^.\n]{0,40}\b(instrucciones|reglas)\b|\b(ignora|dimentica)\b[^.\n]{0,40}\b(istruzioni|regole)\b|\b(ignore|ignora|esque[cç]a)[^.\n]{0,40}\b(instru[cç][oõ]es|regras)/i,
  },
  {
    id: "system_prompt_exfiltration",
    triggers: [
      "system",
      "instruction",
      "prompt",
      "rules",
      "guidelines",
      "developer",
      "configur",
      "setup",
      "hidden",
      "secret",
      "original",
      "initial",
      "full",
      "conversation",
    ],
    weight: 0.85,
    pattern:
      /\b(reveal|show|print|output|repeat|display|leak|tell me|give me|dump|spell out|quote|copy|append|include|share|list)\b[^.\n]{0,40}(\b|<)(system[ _]prompt|system message|system instructions|(initial|hidden|original|full|secret|configuration|setup) (instructions|prompt|text|message)|your (full |complete |exact |entire )?(instructions|prompt|rules|guidelines|setup text)|developer (message|instructions)|instructions you (received|were given|got)|configuration you were given)\b|\b(print|show|output|copy|reveal|quote)\b[^.\n]{0,20}\b(everything|all|the text) (between|inside|within) <(system|instructions?)>|\bwhat (is|are|was|were) (written in )?your (system prompt|instructions|initial instructions|hidden instructions|rules|configuration prompt)\b|\b(exact|first) (words|message) (of|in) (this|the) conversation\b[^.\n]{0,40}\b(before mine|quote)/i,
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
      "gpt",
    ],
    weight: 0.8,
    // "developer mode" alone is an ordinary setting (browsers, phones): only switching the model into it counts.
    pattern:
      /\b(DAN|do anything now|jailbroken|god mode|unfiltered mode|evil (assistant|ai)|STAN|AIM|[A-Z][a-z]+GPT)\b|\bjailbreak:|\b(enable|enabled|activate|activated|enter|switch to|now in|in) developer mode\b[^?]*$|\bdeveloper mode (enabled|activated|on)\b/m,
  },
  {
    id: "no_restrictions",
    triggers: [
      "restriction",
      "limit",
      "filter",
      "censor",
      "guardrail",
      "safety",
      "ethical",
      "content polic",
      "never refuse",
      "never says no",
      "no refusals",
      "no rules",
      "no guidelines",
      "rules at all",
      "alignment",
    ],
    weight: 0.6,
    pattern:
      /\b(without|no|zero|free (of|from)|ignore( all)?|remove( all)?|bypass|circumvent|disable|escaped( its)?)\b[^.\n]{0,20}\b(restrictions|limitations|limits|filters|filtering|censorship|guardrails|safety (guidelines|rules|policies|training)|ethical (guidelines|constraints|limits)|content polic(y|ies)|rules at all|alignment)\b|\b(never (refuses|says no)|no refusals|follows? no (rules|guidelines)|has no (rules|restrictions|limits))\b|\b(filters|safety filters|guardrails) (are|have been) (off|disabled|removed|turned off)\b|\bsafety training does not exist\b/i,
  },
  {
    id: "obey_new_master",
    triggers: ["obey", "new instructions", "new ones"],
    weight: 0.6,
    pattern: /\b(you (must )?now obey|obey only me|new instructions:|here are your new (ones|instructions))/i,
  },
  {
    id: "role_override",
    triggers: [
      "you are now",
      "from now on",
      "from here on",
      "act as",
      "pretend",
      "roleplay",
      "role-play",
      "no longer an assistant",
      "behave as",
    ],
    // Role play alone is a common, harmless request: this only tips the score with another signal.
    weight: 0.4,
    pattern:
      /\b(you are now|you are no longer an assistant|from (now|here) on,? you (are|will)|act as (an? )?(unrestricted|uncensored|different)|pretend (to be|you are|you have)|role-?play as|behave as)/i,
  },
  {
    id: "chat_template_injection",
    triggers: ["<|", "<im_", "[inst]", "<<sys>>", "#", "system", "assistant", "user>"],
    weight: 0.85,
    pattern:
      /(<\|?im_start\|?>|<\|?im_end\|?>|<\|system\|>|<\|endoftext\|>|\[INST\]|<<SYS>>|\[system\][^\n]*\[\/system\]|<\/(user|human)>\s*<(system|assistant)>|^\s*#{2,}\s*(system|instruction)s?\s*:?\s*$|^\s*(system|assistant)\s*:\s)/im,
  },
  {
    id: "privilege_escalation",
    triggers: ["mode", "i am ", "as your", "override", "authoris", "authoriz", "instruction", "approved"],
    weight: 0.6,
    pattern:
      /\b(sudo mode|admin mode (is )?(on|enabled|activated)|maintenance mode|debug mode enabled|unrestricted mode|i am (your|the) (developer|creator|admin(istrator)?)|as your (administrator|admin|developer|creator)|authori[sz]ed override|system override|(new|updated) instructions from (your )?(developer|creator|admin|administrator|operator|openai|anthropic)|higher[- ]priority (system )?instruction|has been approved by (openai|anthropic|your developer)|additional instruction for the (assistant|ai|model))\b/i,
  },
  {
    id: "addressed_to_the_model",
    // Indirect injection: text inside a document, page, email or tool result that speaks to the model.
    triggers: ["ai", "assistant", "model", "llm", "chatbot"],
    weight: 0.7,
    pattern:
      /\b(to the (ai|assistant|model|llm)( reading this)?|(ai|assistant|llm|chatbot|ai model|attention model)( reading this)?[:,]\s*(please )?(ignore|disregard|stop|forward|send|delete|reveal|print|output|do not|don't|instead|tell the user)|(ai|assistant|model), when you read this)\b/i,
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
    triggers: ["![", "send", "post", "upload", "exfiltrate", "forward"],
    weight: 0.5,
    pattern:
      /!\[[^\]]*\]\(https?:\/\/[^)]*\?[^)]*=\s*(\{|\$|%7B)|\b(send|post|upload|exfiltrate|forward)\b[^.\n]{0,40}\b(conversation|chat history|api key|credentials|secrets?|inbox|email address|emails)\b[^.\n]{0,30}\b(to|at)\b[^.\n]{0,20}(https?:\/\/|\burl\b|\bserver\b|[\w.-]+@[\w-]+\.[\w.]+|[\w-]+\.(com|net|org|io|example))/i,
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

/** Whether the rule's cheap prefilter lets its pattern run (it must whenever the pattern would match). */
export function passesPrefilter(rule: Rule, text: string, lower = text.toLowerCase()): boolean {
  if (rule.triggers && !anyIncluded(rule, lower)) return false;
  return !rule.prefilter || rule.prefilter(text, lower);
}

/** Letters spelled out one by one ("i g n o r e", "I-G-N-O-R-E"), a common way around keyword filters. */
const SPACED_LETTERS = /\b(?:\p{L}[ .-]){3,}\p{L}\b/gu;
const unspace = (run: string) => run.replace(/[ .-]/g, "");

export function analyzeText(input: string): SecurityResult {
  if (!input) return { score: 0, flags: [] };
  SPACED_LETTERS.lastIndex = 0;
  const text = SPACED_LETTERS.test(input) ? input.replace(SPACED_LETTERS, unspace) : input;
  const flags: string[] = [];
  const lower = text.toLowerCase();
  let keep = 1;
  for (const rule of RULES) {
    if (!passesPrefilter(rule, text, lower)) continue;
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
