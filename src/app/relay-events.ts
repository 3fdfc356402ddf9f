import type { EventOutbox, EventPublisher, OutboxClaim } from '../ports/event-outbox.js'

/**
 * One round of the relay: publishes the oldest committed events, up to `batchSize`, and removes
 * them once the broker has stored them. At least once: a round that fails (broker down, process
 * killed) leaves its events in the outbox, and the next round sends them again with the same ids.
 */
export type RelayEvents = () => Promise<OutboxClaim>

export function relayEvents(deps: { outbox: EventOutbox; publisher: EventPublisher; batchSize: number }): RelayEvents {
  return () => deps.outbox.drain(deps.batchSize, (events) => deps.publisher.publish(events))
}
