import { context, propagation } from '@opentelemetry/api'
import type { LedgerEvent } from '../../domain/events.js'
import type { OutboxWrites } from '../../ports/unit-of-work.js'
import { eventMessage } from '../events/event-json.js'
import { encodeMessages } from './outbox-rows.js'
import type { MariadbTransaction } from './transaction.js'

/**
 * The transaction's events as one outbox row (outbox-rows.ts), by an INSERT that travels with the
 * COMMIT. The row keeps the trace context the transaction runs in (the request's, or the batch's
 * span), so the relay's publish span can link to it. `created_at` is the database's clock, which
 * the relay's lag is read by. Each append is one row; the write path appends once per transaction.
 */
export class MariadbOutboxWrites implements OutboxWrites {
  constructor(private readonly tx: MariadbTransaction) {}

  append(events: readonly LedgerEvent[]): void {
    if (events.length === 0) return
    const carrier: Record<string, string> = {}
    propagation.inject(context.active(), carrier)
    // As bytes, which mysql2 sends as a hex literal: escaping the string instead (every quote of
    // the JSON) cost three to four times the CPU on the write path (measured: 74 against 17–21 µs
    // for a batch of 13 events).
    const messages = Buffer.from(encodeMessages(events.map((event) => ({ id: event.id, ...eventMessage(event) }))))
    this.tx.queue({
      sql: 'INSERT INTO outbox (event_count, messages, trace_context) VALUES (?, ?, ?)',
      parameters: [events.length, messages, carrier.traceparent ?? null],
    })
  }
}
