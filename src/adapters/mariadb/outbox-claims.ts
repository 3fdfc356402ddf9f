import { type Kysely, sql } from 'kysely'
import type { EventOutbox, OutboxClaim, PendingEvent, Published } from '../../ports/event-outbox.js'
import { translate } from './driver-errors.js'
import type { Database } from './tables.js'

interface ClaimedRow {
  id: string
  event_id: string
  subject: string
  payload: string
  trace_context: string | null
  age_us: string | number
}

/**
 * The relay's side of the outbox. A claim is one READ COMMITTED transaction: it locks the single
 * row of `outbox_relay` (SKIP LOCKED: another relay holding it means this one stands by), then
 * the oldest rows (SKIP LOCKED: a row still being committed is left for the next claim; rows of
 * one account commit in id order, so skipping never reorders an account), publishes them, and
 * deletes them before it commits. READ COMMITTED takes no gap locks, so the write path's INSERTs
 * into the outbox never wait for a relay, however long its broker takes to answer.
 */
export class MariadbOutboxClaims implements EventOutbox {
  constructor(private readonly db: Kysely<Database>) {}

  async drain(limit: number, publish: (events: readonly PendingEvent[]) => Promise<Published>): Promise<OutboxClaim> {
    // The publisher's failure passes as it is (the rollback keeps the rows); the driver's are translated.
    let published: Promise<Published> | undefined
    try {
      return await this.db
        .transaction()
        .setIsolationLevel('read committed')
        .execute(async (trx) => {
          const lease = await sql`SELECT id FROM outbox_relay WHERE id = 1 FOR UPDATE SKIP LOCKED`.execute(trx)
          if (lease.rows.length === 0) return { held: false, published: 0, duplicates: 0, lagMs: 0 }
          const { rows } = await sql<ClaimedRow>`
            SELECT id, event_id, subject, payload, trace_context, TIMESTAMPDIFF(MICROSECOND, created_at, NOW(3)) AS age_us
            FROM outbox FORCE INDEX (PRIMARY) ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`.execute(trx)
          const [oldest] = rows
          if (!oldest) return { held: true, published: 0, duplicates: 0, lagMs: 0 }
          published = publish(rows.map(toPendingEvent))
          const { duplicates } = await published
          await sql`DELETE FROM outbox WHERE id IN (${sql.join(rows.map((row) => row.id))})`.execute(trx)
          return { held: true, published: rows.length, duplicates, lagMs: Math.max(0, Number(oldest.age_us) / 1000) }
        })
    } catch (error) {
      if (published && (await published.then(() => false, (failure: unknown) => failure === error))) throw error
      throw translate(error)
    }
  }
}

function toPendingEvent(row: ClaimedRow): PendingEvent {
  return { eventId: row.event_id, subject: row.subject, payload: row.payload, traceContext: row.trace_context }
}

