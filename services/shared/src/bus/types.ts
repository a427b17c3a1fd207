export interface MessageMeta {
  topic: string;
  key: string | null;
  partition: number;
  offset: string;
}

/** `value` is the decoded JSON, or an Undecodable when the message's bytes are not JSON. */
export type Handler = (value: unknown, meta: MessageMeta) => Promise<void> | void;

export interface SubscribeOptions {
  topic: string;
  /** Consumer group: every group sees every event; members of a group share them. */
  groupId: string;
  /** A new group starts at the oldest retained event (default) or only sees new ones. */
  fromBeginning?: boolean;
  handler: Handler;
}

/** One message of a batch: the decoded value (or an Undecodable) and where it came from. */
export interface BatchItem {
  value: unknown;
  meta: MessageMeta;
}

/** Gets consecutive messages of one partition; when it resolves, all of them count as processed. */
export type BatchHandler = (items: BatchItem[]) => Promise<void> | void;

export interface BatchSubscribeOptions extends Omit<SubscribeOptions, "handler"> {
  /** At most this many messages per call (fewer when fewer are waiting: no lingering). */
  maxBatch: number;
  handler: BatchHandler;
}

export interface Subscription {
  close(): Promise<void>;
}

/**
 * The event bus every service uses (kafkajs or in-process). Delivery is at-least-once:
 * a handler that throws gets the event again, so handlers must be idempotent on the event id
 * (see Deduper). Events with the same key keep their order.
 */
export interface EventBus {
  readonly kind: "kafka" | "memory";
  /** Accepts the event for delivery (buffered, batched); resolves once accepted, not once delivered. */
  publish(topic: string, key: string | null, value: unknown): Promise<void>;
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  /**
   * Like subscribe, handing over the messages already waiting in batches (a throwing handler gets the
   * whole batch again). Optional: TypedBus falls back to batches of one on a bus without it.
   */
  subscribeBatch?(opts: BatchSubscribeOptions): Promise<Subscription>;
  /** Waits until everything accepted so far is delivered to the broker (or parked in the outbox). */
  flush(timeoutMs?: number): Promise<void>;
  /** True when the bus can deliver right now (for /ready). */
  healthy(): boolean;
  /** Flushes (outbox for what cannot be delivered), then disconnects. */
  close(): Promise<void>;
}
