import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { StringDecoder } from "node:string_decoder";
import type { Call } from "./call.ts";

/** An SSE data payload carrying generated text (the first one sets TTFT). Not global: test() is stateless. */
const FIRST_TOKEN = /"(content|text|delta)":"[^"]/;

/** End of an SSE event (blank line). Shared: only used synchronously (lastIndex set before each exec). */
const EVENT_END = /\r?\n\r?\n/g;

const NULL_USAGE = /,"usage":null/;

/**
 * The concatenated `data:` fields of one SSE event (lines split on \n or \r\n, one optional space after
 * the colon dropped), without allocating the lines.
 */
export function sseData(event: string): string {
  let data = "";
  const len = event.length;
  let i = 0;
  while (i < len) {
    let nl = event.indexOf("\n", i);
    let lineEnd: number;
    if (nl === -1) lineEnd = nl = len;
    else lineEnd = nl > i && event.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (lineEnd - i >= 5 && event.startsWith("data:", i))
      data += event.slice(i + (event.charCodeAt(i + 5) === 32 && i + 5 < lineEnd ? 6 : 5), lineEnd);
    i = nl + 1;
  }
  return data;
}

/**
 * Relays an upstream SSE stream to the client event by event, as each complete event arrives (no
 * buffering beyond one partial event), reading TTFT, usage and the response model on the way. When we
 * asked for the usage chunk on the client's behalf (`stripUsage`), that chunk and the `"usage":null`
 * fields of the other chunks are not forwarded.
 */
export class SseRelay {
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";

  constructor(
    private readonly out: ServerResponse,
    private readonly call: Call,
    private readonly stripUsage: boolean,
  ) {}

  /** Sends the response head at once (the client sees the stream open before the first token). */
  open(headers: OutgoingHttpHeaders): void {
    headers["cache-control"] = "no-cache";
    headers["x-accel-buffering"] = "no";
    this.out.writeHead(200, headers);
    this.out.flushHeaders();
  }

  /** Forwards the complete events in `chunk`; false when the client's buffer is full (pause upstream). */
  write(chunk: Buffer): boolean {
    const pending = this.pending + this.decoder.write(chunk);
    let outText = "";
    let start = 0;
    while (true) {
      EVENT_END.lastIndex = start;
      const hit = EVENT_END.exec(pending);
      if (!hit) break;
      const end = hit.index + hit[0].length;
      const event = pending.slice(start, end);
      start = end;
      const data = sseData(event);
      if (data && data !== "[DONE]") {
        if (!this.inspect(data)) continue;
        this.call.forwardedData(data);
      }
      outText += this.stripUsage ? event.replace(NULL_USAGE, "") : event;
    }
    this.pending = start === 0 ? pending : pending.slice(start);
    if (!outText || this.out.destroyed) return true;
    return this.out.write(outText);
  }

  /** The upstream finished: forward what is left (a trailing partial event) and end the response. */
  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = "";
    if (this.out.destroyed) return;
    if (rest) this.out.write(rest);
    this.out.end();
  }

  /** The upstream broke off: tell the client in-band (an SSE error event; the status is long sent). */
  fail(message: string, code: string): void {
    if (this.out.destroyed) return;
    this.out.end(`data: ${JSON.stringify({ error: { message, type: "upstream_error", code } })}\n\n`);
  }

  /** Reads TTFT and usage; false when the event must not be forwarded (the usage chunk we added). */
  private inspect(data: string): boolean {
    const call = this.call;
    if (call.ttftMs === null && FIRST_TOKEN.test(data)) call.firstToken();
    if (!data.includes('"usage":{')) return true;
    try {
      const obj = JSON.parse(data);
      call.sawStreamUsage(obj);
      if (this.stripUsage && Array.isArray(obj?.choices) && obj.choices.length === 0) return false;
    } catch {
      // not JSON: pass it on untouched
    }
    return true;
  }
}
