/** An event committed to the outbox and not yet known to be published. */
export interface PendingEvent {
  /** The event's id: the message id by which the stream drops a re-sent copy. */
  readonly eventId: string
  /** After the configured prefix, e.g. `transfer.posted.1001.1002`. */
  readonly subject: string
  /** The event's JSON in UTF-8, as published (bytes, so that the relay neither decodes nor encodes it). */
  readonly payload: Uint8Array
  /** W3C traceparent of the transaction that wrote it, if it was traced. */
  readonly traceContext: string | null
}

/** What one claim of the outbox found. */
export interface OutboxClaim {
  /** False when another relay holds the outbox: nothing was claimed, publish did not run. */
  readonly held: boolean
  /** Events published and removed. */
  readonly published: number
  /** Of those, how many the broker already had (sent before by a relay that died before removing them). */
  readonly duplicates: number
  /** True when the claim's limit left committed events behind: the next round can follow at once. */
  readonly more: boolean
  /** Age of the oldest unpublished event when the claim began (0 with none). */
  readonly lagMs: number
}

/**
 * The outbox as the relay sees it. One relay holds it at a time, so events leave in the order
 * they were written (per account, the order of its changes) even with several relays running.
 */
export interface EventOutbox {
  /**
   * Claims the oldest committed events in the order they were written, at most `limit` of them
   * but always those of the oldest writing transaction (which are never split), and runs `publish`
   * with them (not called with none); once it resolves, removes them, in the same transaction as
   * the claim. When `publish` throws, nothing is removed (the events are claimed again next time,
   * so each is published at least once) and the error is rethrown. Throws StoreUnavailable when
   * the database cannot be reached.
   */
  drain(limit: number, publish: (events: readonly PendingEvent[]) => Promise<Published>): Promise<OutboxClaim>
}

/** What the broker said of a batch it stored. */
export interface Published {
  /** Events it had already (same id within its duplicate window) and dropped. */
  readonly duplicates: number
}

/** Where events go. */
export interface EventPublisher {
  /**
   * Publishes `events`, resolving once the broker has stored every one (a duplicate it dropped
   * counts as stored); throws if it cannot say so of each, in which case the caller sends them
   * all again.
   */
  publish(events: readonly PendingEvent[]): Promise<Published>
}
