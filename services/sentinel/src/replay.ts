/**
 * Replay: recorded llm.traces events (JSON lines) through the same engine the live consumer runs, the
 * anomalies it emits written as JSON lines in order. What the bus's consumer does before the engine is
 * done here too, the same way: an event that is not JSON or not a valid llm.traces event is counted and
 * skipped, and a repeated id (at-least-once delivery recorded twice) is processed once.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { type TraceEvent, traceEventSchema } from "@llmops/shared/events";
import type { DetectorConfig } from "./detect/config.ts";
import { Engine, type Pricer } from "./detect/engine.ts";

export interface ReplaySummary {
  lines: number;
  events: number;
  anomalies: number;
  /** Lines that are not JSON. */
  malformed: number;
  /** JSON lines that are not valid llm.traces events. */
  invalid: number;
  duplicates: number;
  /** The first few bad lines: line number and reason. */
  problems: Array<{ line: number; reason: string }>;
}

const MAX_PROBLEMS = 10;
const FLUSH_BYTES = 1 << 16;

export async function replay(opts: {
  input: Readable;
  output: Writable;
  config: DetectorConfig;
  pricer?: Pricer | undefined;
}): Promise<ReplaySummary> {
  const engine = new Engine(opts.config, { pricer: opts.pricer });
  const seen = new Set<string>();
  const s: ReplaySummary = {
    lines: 0,
    events: 0,
    anomalies: 0,
    malformed: 0,
    invalid: 0,
    duplicates: 0,
    problems: [],
  };
  const problem = (reason: string) => {
    if (s.problems.length < MAX_PROBLEMS) s.problems.push({ line: s.lines, reason });
  };
  let buffer = "";
  const flush = async () => {
    if (!buffer) return;
    const chunk = buffer;
    buffer = "";
    if (!opts.output.write(chunk)) await new Promise<void>((res) => opts.output.once("drain", res));
  };
  const lines = createInterface({ input: opts.input, crlfDelay: Infinity });
  for await (const line of lines) {
    s.lines++;
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      s.malformed++;
      problem(`not JSON: ${(err as Error).message}`);
      continue;
    }
    const parsed = traceEventSchema.safeParse(value);
    if (!parsed.success) {
      s.invalid++;
      const issue = parsed.error.issues[0];
      problem(`not an llm.traces v1 event: ${issue?.path.join(".") || "(event)"}: ${issue?.message}`);
      continue;
    }
    const event: TraceEvent = parsed.data;
    if (seen.has(event.id)) {
      s.duplicates++;
      continue;
    }
    seen.add(event.id);
    s.events++;
    for (const a of engine.ingest(event)) {
      s.anomalies++;
      buffer += `${JSON.stringify(a)}\n`;
    }
    if (buffer.length >= FLUSH_BYTES) await flush();
  }
  await flush();
  return s;
}

export const openInput = (file: string): Readable => (file === "-" ? process.stdin : createReadStream(file));
