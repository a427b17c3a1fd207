import type {
  BatchHandler,
  BatchSubscribeOptions,
  EventBus,
  Handler,
  MessageMeta,
  SubscribeOptions,
  Subscription,
} from "./types.ts";

interface Entry {
  key: string | null;
  value: string;
}

interface Member {
  handler: Handler;
  /** A batch member takes up to maxBatch waiting events at a time. */
  batch?: { handler: BatchHandler; maxBatch: number };
  active: boolean;
}

interface Group {
  id: string;
  offset: number;
  members: Member[];
  next: number;
  running: boolean;
}

interface Topic {
  base: number;
  log: Entry[];
  groups: Map<string, Group>;
}

/**
 * In-process bus with Kafka-like semantics: an append-only log per topic (bounded retention),
 * a committed offset per consumer group, one event at a time per group handed to one member,
 * redelivered (at-least-once) until the handler succeeds. Values are JSON-serialised so consumers
 * never share object references with producers.
 */
export class MemoryBus implements EventBus {
  readonly kind = "memory" as const;
  private topics = new Map<string, Topic>();
  private closed = false;
  private idle: Array<() => void> = [];

  constructor(
    private readonly opts: {
      retention?: number;
      retryDelayMs?: number;
      onError?: (err: unknown, meta: MessageMeta) => void;
    } = {},
  ) {}

  private topic(name: string): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = { base: 0, log: [], groups: new Map() };
      this.topics.set(name, t);
    }
    return t;
  }

  async publish(topic: string, key: string | null, value: unknown): Promise<void> {
    if (this.closed) throw new Error("bus is closed");
    const t = this.topic(topic);
    t.log.push({ key, value: JSON.stringify(value) });
    const retention = this.opts.retention ?? 10_000;
    // Trim in chunks so publishing stays amortised O(1).
    if (t.log.length >= retention + Math.max(1, retention >> 3)) {
      const drop = t.log.length - retention;
      t.log.splice(0, drop);
      t.base += drop;
    }
    for (const g of t.groups.values()) this.pump(topic, t, g);
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    return this.join(opts, { handler: opts.handler, active: true });
  }

  async subscribeBatch(opts: BatchSubscribeOptions): Promise<Subscription> {
    const batch = { handler: opts.handler, maxBatch: Math.max(1, Math.floor(opts.maxBatch)) };
    const handler: Handler = (value, meta) => batch.handler([{ value, meta }]);
    return this.join(opts, { handler, batch, active: true });
  }

  private async join(opts: Omit<SubscribeOptions, "handler">, member: Member): Promise<Subscription> {
    const t = this.topic(opts.topic);
    let g = t.groups.get(opts.groupId);
    if (!g) {
      g = {
        id: opts.groupId,
        offset: opts.fromBeginning === false ? t.base + t.log.length : t.base,
        members: [],
        next: 0,
        running: false,
      };
      t.groups.set(opts.groupId, g);
    }
    g.members.push(member);
    const group = g;
    this.pump(opts.topic, t, group);
    return {
      close: async () => {
        member.active = false;
        group.members = group.members.filter((m) => m !== member);
      },
    };
  }

  private pump(name: string, t: Topic, g: Group): void {
    if (g.running || this.closed) return;
    g.running = true;
    void (async () => {
      try {
        while (!this.closed && g.members.length > 0) {
          if (g.offset < t.base) g.offset = t.base; // retention overtook a slow group
          const idx = g.offset - t.base;
          if (idx >= t.log.length) break;
          const entry = t.log[idx]!;
          const member = g.members[g.next++ % g.members.length]!;
          const meta: MessageMeta = { topic: name, key: entry.key, partition: 0, offset: String(g.offset) };
          try {
            if (member.batch) {
              const n = Math.min(member.batch.maxBatch, t.log.length - idx);
              const items = t.log.slice(idx, idx + n).map((e, i) => ({
                value: JSON.parse(e.value) as unknown,
                meta: { topic: name, key: e.key, partition: 0, offset: String(g.offset + i) },
              }));
              await member.batch.handler(items);
              g.offset += n;
              continue;
            }
            await member.handler(JSON.parse(entry.value), meta);
            g.offset++;
          } catch (err) {
            this.opts.onError?.(err, meta);
            await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 50));
          }
        }
      } finally {
        g.running = false;
        if (!this.closed && g.members.length > 0 && g.offset - t.base < t.log.length) this.pump(name, t, g);
        this.notifyIdle();
      }
    })();
  }

  private notifyIdle(): void {
    const waiters = this.idle;
    this.idle = [];
    for (const w of waiters) w();
  }

  async flush(): Promise<void> {
    // Publishing is synchronous into the log; nothing is buffered.
  }

  healthy(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.notifyIdle();
  }
}
