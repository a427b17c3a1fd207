import type { Database, Logger, Migration, TraceEvent } from "@llmops/shared";

export interface TraceQuery {
  tenant?: string | undefined;
  provider?: string | undefined;
  model?: string | undefined;
  status?: number | undefined;
  errorType?: string | undefined;
  stream?: boolean | undefined;
  flagged?: boolean | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface TracePage {
  data: TraceEvent[];
  nextCursor: string | null;
}

export interface TraceStore {
  readonly kind: "memory" | "postgres" | "pglite";
  add(t: TraceEvent): void;
  list(q: TraceQuery): Promise<TracePage>;
  get(id: string): Promise<TraceEvent | null>;
  flush(): Promise<void>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** Keyset cursor over (startedAt desc, id desc). */
export const encodeCursor = (t: Pick<TraceEvent, "startedAt" | "id">) =>
  Buffer.from(`${t.startedAt}|${t.id}`).toString("base64url");

export function decodeCursor(c: string): { startedAt: string; id: string } | null {
  const s = Buffer.from(c, "base64url").toString("utf8");
  const i = s.indexOf("|");
  if (i <= 0 || Number.isNaN(Date.parse(s.slice(0, i)))) return null;
  return { startedAt: s.slice(0, i), id: s.slice(i + 1) };
}

const newerFirst = (a: TraceEvent, b: TraceEvent) =>
  a.startedAt === b.startedAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.startedAt < b.startedAt ? 1 : -1;

/** STORAGE_PROFILE=memory: a bounded in-memory ring (oldest dropped first). */
export class MemoryTraceStore implements TraceStore {
  readonly kind = "memory" as const;
  private items: TraceEvent[] = [];
  private byId = new Map<string, TraceEvent>();
  constructor(private readonly max = 100_000) {}
  add(t: TraceEvent): void {
    if (this.byId.has(t.id)) return;
    this.items.push(t);
    this.byId.set(t.id, t);
    // Trim in chunks (amortised O(1) per add) rather than shifting the array on every insert.
    if (this.items.length >= this.max + Math.max(1, this.max >> 3)) {
      const dropped = this.items.splice(0, this.items.length - this.max);
      for (const d of dropped) this.byId.delete(d.id);
    }
  }
  async list(q: TraceQuery): Promise<TracePage> {
    const cur = q.cursor ? decodeCursor(q.cursor) : null;
    const fromMs = q.from ? Date.parse(q.from) : undefined;
    const toMs = q.to ? Date.parse(q.to) : undefined;
    const live = this.items.length > this.max ? this.items.slice(this.items.length - this.max) : this.items;
    const matches = live.filter((t) => {
      if (q.tenant !== undefined && t.tenant !== q.tenant) return false;
      if (q.provider !== undefined && t.provider !== q.provider) return false;
      if (q.model !== undefined && t.model !== q.model) return false;
      if (q.status !== undefined && t.status !== q.status) return false;
      if (q.errorType !== undefined && t.errorType !== q.errorType) return false;
      if (q.stream !== undefined && t.stream !== q.stream) return false;
      if (q.flagged !== undefined && t.securityFlags.length > 0 !== q.flagged) return false;
      const ms = Date.parse(t.startedAt);
      if (fromMs !== undefined && ms < fromMs) return false;
      if (toMs !== undefined && ms >= toMs) return false;
      if (cur && !(t.startedAt < cur.startedAt || (t.startedAt === cur.startedAt && t.id < cur.id)))
        return false;
      return true;
    });
    matches.sort(newerFirst);
    const data = matches.slice(0, q.limit);
    return { data, nextCursor: matches.length > q.limit ? encodeCursor(data[data.length - 1]!) : null };
  }
  async get(id: string) {
    return this.byId.get(id) ?? null;
  }
  async flush() {}
  async healthy() {
    return true;
  }
  async close() {}
}

export const traceMigrations: Migration[] = [
  {
    id: "001_traces",
    sql: `
      create table if not exists traces (
        id text primary key,
        trace_id text not null,
        tenant text not null,
        provider text not null,
        model text,
        stream boolean not null,
        started_at timestamptz not null,
        status integer not null,
        error_type text,
        flagged boolean not null,
        event jsonb not null
      );
      create index if not exists traces_tenant_started on traces (tenant, started_at desc, id desc);
      create index if not exists traces_started on traces (started_at desc, id desc);`,
  },
];

/**
 * lite (PGlite) and production (Postgres): write-behind batches, keyset pagination. The table comes from
 * traceMigrations, which the service runtime applies before the proxy serves.
 */
export class PgTraceStore implements TraceStore {
  readonly kind: "postgres" | "pglite";
  private queue: TraceEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  constructor(
    private readonly db: Database,
    private readonly logger?: Logger,
    private readonly maxQueue = 50_000,
  ) {
    this.kind = db.kind;
  }
  add(t: TraceEvent): void {
    if (this.queue.length >= this.maxQueue) {
      this.logger?.error("trace store write queue full; dropping trace (it is still on the bus)");
      return;
    }
    this.queue.push(t);
    if (this.queue.length >= 200) this.kick(0);
    else this.kick(50);
  }
  private kick(delay: number): void {
    if (this.timer) {
      if (delay > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.writing = this.writing.then(() => this.writeBatch());
    }, delay);
  }
  private async writeBatch(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, 200);
      const params: unknown[] = [];
      const rows = batch.map((t, i) => {
        params.push(
          t.id,
          t.traceId,
          t.tenant,
          t.provider,
          t.model,
          t.stream,
          t.startedAt,
          t.status,
          t.errorType,
          t.securityFlags.length > 0,
          JSON.stringify(t),
        );
        const b = i * 11;
        return `(${Array.from({ length: 11 }, (_, j) => `$${b + j + 1}`).join(",")})`;
      });
      try {
        await this.db.query(
          `insert into traces (id, trace_id, tenant, provider, model, stream, started_at, status, error_type, flagged, event)
           values ${rows.join(",")} on conflict (id) do nothing`,
          params,
        );
      } catch (err) {
        this.logger?.error({ err: (err as Error).message, traces: batch.length }, "failed to store traces");
      }
    }
  }
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.writing = this.writing.then(() => this.writeBatch());
    await this.writing;
  }
  async list(q: TraceQuery): Promise<TracePage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace("?", `$${params.length}`));
    };
    if (q.tenant !== undefined) add("tenant = ?", q.tenant);
    if (q.provider !== undefined) add("provider = ?", q.provider);
    if (q.model !== undefined) add("model = ?", q.model);
    if (q.status !== undefined) add("status = ?", q.status);
    if (q.errorType !== undefined) add("error_type = ?", q.errorType);
    if (q.stream !== undefined) add("stream = ?", q.stream);
    if (q.flagged !== undefined) add("flagged = ?", q.flagged);
    if (q.from) add("started_at >= ?", q.from);
    if (q.to) add("started_at < ?", q.to);
    const cur = q.cursor ? decodeCursor(q.cursor) : null;
    if (cur) {
      params.push(cur.startedAt, cur.id);
      where.push(`(started_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(q.limit + 1);
    const r = await this.db.query(
      `select event from traces ${where.length ? `where ${where.join(" and ")}` : ""}
       order by started_at desc, id desc limit $${params.length}`,
      params,
    );
    const all = r.rows.map(
      (row) => (typeof row.event === "string" ? JSON.parse(row.event) : row.event) as TraceEvent,
    );
    const data = all.slice(0, q.limit);
    return { data, nextCursor: all.length > q.limit ? encodeCursor(data[data.length - 1]!) : null };
  }
  async get(id: string) {
    const r = await this.db.query("select event from traces where id = $1", [id]);
    const e = r.rows[0]?.event;
    return e ? ((typeof e === "string" ? JSON.parse(e) : e) as TraceEvent) : null;
  }
  healthy() {
    return this.db.healthy();
  }
  async close() {
    await this.flush();
  }
}
