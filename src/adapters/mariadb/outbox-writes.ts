import { context, propagation } from '@opentelemetry/api'
import type { LedgerEvent } from '../../domain/events.js'
import type { OutboxWrites } from '../../ports/unit-of-work.js'
import { eventMessage } from '../events/event-json.js'
import type { MariadbTransaction } from './transaction.js'

/**
 * Outbox rows by one multi-row INSERT that travels with the COMMIT. Each row keeps the trace
 * context the transaction runs in (the request's, or the batch's span), so the relay's publish
 * span can link to it. `created_at` is the database's clock, which the relay's lag is read by.
 */
export class MariadbOutboxWrites implements OutboxWrites {
  constructor(private readonly tx: MariadbTransaction) {}

  append(events: readonly LedgerEvent[]): void {
    if (events.length === 0) return
    const carrier: Record<string, string> = {}
    propagation.inject(context.active(), carrier)
    const traceContext = carrier.traceparent ?? null
    this.tx.queue({
      sql: 'INSERT INTO outbox (event_id, subject, payload, trace_context) VALUES ' + events.map(() => '(?, ?, ?, ?)').join(', '),
      parameters: events.flatMap((event) => {
        const { subject, payload } = eventMessage(event)
        return [event.id, subject, payload, traceContext]
      }),
    })
  }
}
