import { type Kysely, sql } from 'kysely'
import type { EventOutbox, OutboxClaim, PendingEvent, Published } from '../../ports/event-outbox.js'
import { translate } from './driver-errors.js'
import { decodeMessages } from './outbox-rows.js'
import type { Database } from './tables.js'

interface ClaimedRow {
  id: string
  event_count: number
  age_us: string | number
}

interface MessagesRow {
  /** Read as bytes (CAST … AS BINARY): mysql2 then neither decodes it nor does the publisher encode it again. */
  messages: Buffer
  trace_context: string | null
}

/**
 * The relay's side of the outbox. A claim is one READ COMMITTED transaction: it locks the single
 * row of `outbox_relay` (SKIP LOCKED: another relay holding it means this one stands by), then
 * the oldest rows (SKIP LOCKED: a row still being committed is left for the next claim; rows of
 * one account commit in id order, so skipping never reorders an account), publishes their
 * events, and deletes the rows before it commits. READ COMMITTED takes no gap locks, so the write
 * path's INSERTs into the outbox never wait for a relay, however long its broker takes to answer.
 *
 * A row holds one transaction's events (outbox-rows.ts). The claim takes rows while their events
 * stay within `limit`, and always the first: it locks the oldest rows reading only their counts,
 * then reads the messages of those it keeps.
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
          if (lease.rows.length === 0) return { held: false, published: 0, duplicates: 0, more: false, lagMs: 0 }
          const { rows } = await sql<ClaimedRow>`
            SELECT id, event_count, TIMESTAMPDIFF(MICROSECOND, created_at, NOW(3)) AS age_us
            FROM outbox FORCE INDEX (PRIMARY) ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`.execute(trx)
          const [oldest] = rows
          if (!oldest) return { held: true, published: 0, duplicates: 0, more: false, lagMs: 0 }
          const ids = withinLimit(rows, limit)
          const { rows: kept } = await sql<MessagesRow>`
            SELECT CAST(messages AS BINARY) AS messages, trace_context FROM outbox WHERE id IN (${sql.join(ids)}) ORDER BY id`.execute(trx)
          const events = kept.flatMap((row) => decodeMessages(row.messages, row.trace_context))
          published = publish(events)
          const { duplicates } = await published
          await sql`DELETE FROM outbox WHERE id IN (${sql.join(ids)})`.execute(trx)
          // Rows past the limit were left, or the LIMIT itself may have cut the list short.
          const more = ids.length < rows.length || rows.length === limit
          return { held: true, published: events.length, duplicates, more, lagMs: Math.max(0, Number(oldest.age_us) / 1000) }
        })
    } catch (error) {
      if (published && (await published.then(() => false, (failure: unknown) => failure === error))) throw error
      throw translate(error)
    }
  }
}

/** The ids of the leading rows whose events add up to at most `limit`, and at least the first row. */
function withinLimit(rows: readonly ClaimedRow[], limit: number): string[] {
  const ids: string[] = []
  let events = 0
  for (const row of rows) {
    events += Number(row.event_count)
    if (ids.length > 0 && events > limit) break
    ids.push(row.id)
  }
  return ids
}
