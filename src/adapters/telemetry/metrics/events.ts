import type { Meter } from '@opentelemetry/api'
import type { OutboxClaim } from '../../../ports/event-outbox.js'
import { Tally } from './tally.js'

/**
 * The event relay: events published, re-sent copies the stream dropped, rounds that failed (NATS or MariaDB unreachable), and the
 * lag, the age of the oldest unpublished event as the last round that held the outbox found it
 * (0 once it is empty; a relay standing by reports none).
 */
export class EventMetrics {
  private readonly published
  private readonly failures
  private readonly duplicates
  private lagSeconds: number | undefined

  constructor(meter: Meter) {
    this.published = new Tally(meter, 'events.published', { description: 'Events published to NATS JetStream by this relay', unit: '{event}' })
    this.failures = new Tally(meter, 'events.relay.failures', { description: 'Relay rounds that failed and left their events for the next', unit: '{round}' })
    this.duplicates = new Tally(meter, 'events.duplicates', { description: 'Events re-sent after a relay died before removing them, which the stream dropped', unit: '{event}' })
    this.published.add({}, 0)
    this.duplicates.add({}, 0)
    this.failures.add({}, 0)
    meter
      .createObservableGauge('events.outbox.lag', { description: 'Age of the oldest event not yet published', unit: 's' })
      .addCallback((result) => {
        if (this.lagSeconds !== undefined) result.observe(this.lagSeconds)
      })
  }

  readonly record = (claim: OutboxClaim): void => {
    if (!claim.held) return
    this.lagSeconds = claim.lagMs / 1000
    if (claim.published > 0) this.published.add({}, claim.published)
    if (claim.duplicates > 0) this.duplicates.add({}, claim.duplicates)
  }

  readonly failed = (): void => {
    this.failures.add({})
  }
}
