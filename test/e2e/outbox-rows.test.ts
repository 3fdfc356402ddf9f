import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MariadbOutboxClaims } from '../../src/adapters/mariadb/outbox-claims.js'
import { decodeMessages } from '../../src/adapters/mariadb/outbox-rows.js'
import { down, up } from '../../src/adapters/mariadb/migrations/0009-outbox-row-per-transaction.js'
import type { PendingEvent } from '../../src/ports/event-outbox.js'
import { eventsEnv } from './support/nats.js'
import { client, freshDatabaseUrl, type RunningService, startService } from './support/service.js'

// The outbox keeps a row per writing transaction (migration 0009). With the relay off, the rows
// the service writes stay, and the test reads, claims and migrates them itself.

let service: RunningService
let api: ReturnType<typeof client>

beforeAll(async () => {
  service = await startService({ databaseUrl: freshDatabaseUrl('outbox_rows'), env: { ...eventsEnv('outbox_rows'), EVENTS_RELAY: 'off' } })
  api = client(service)
})
afterAll(() => service?.stop())

async function waiting(): Promise<PendingEvent[]> {
  const { rows } = await sql<{ messages: Buffer; trace_context: string | null }>`SELECT CAST(messages AS BINARY) AS messages, trace_context FROM outbox ORDER BY id`.execute(service.db)
  return rows.flatMap((row) => decodeMessages(row.messages, row.trace_context))
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const transfer = (from: number, to: number, amount: string) => ({ source_account_id: from, destination_account_id: to, amount })

describe('the outbox, a row per transaction', () => {
  it('holds a batch’s events in one row, in order, and a claim never splits a row but stays within its limit otherwise', async () => {
    for (const id of [1, 2]) expect((await api.createAccount(id, '100')).status).toBe(201)
    const batch = await api.post('/v1/transfers/batch', { atomic: true, transfers: [transfer(1, 2, '1'), transfer(2, 1, '2'), transfer(1, 2, '3')] })
    expect(batch.status).toBe(201)
    expect((await api.transfer(2, 1, '4')).status).toBe(201)

    const { rows } = await sql<{ event_count: number }>`SELECT event_count FROM outbox ORDER BY id`.execute(service.db)
    expect(rows.map((row) => Number(row.event_count))).toEqual([1, 1, 3, 1])
    const events = await waiting()
    expect(events.map((event) => event.subject)).toEqual(['account.opened.1', 'account.opened.2', 'transfer.posted.1.2', 'transfer.posted.2.1', 'transfer.posted.1.2', 'transfer.posted.2.1'])
    for (const event of events) expect(JSON.parse(text(event.payload)).id).toBe(event.eventId)

    const claims = new MariadbOutboxClaims(service.db)
    const rounds: string[][] = []
    const publish = async (claimed: readonly PendingEvent[]) => (rounds.push(claimed.map((event) => event.eventId)), { duplicates: 0 })
    // Limit 2: the two openings; then the batch's three, although more than 2; then the last. Each
    // round says whether it left events behind, so that the relay goes on at once or pauses.
    for (const [published, more] of [[2, true], [3, true], [1, false], [0, false]] as const) {
      expect(await claims.drain(2, publish)).toMatchObject({ held: true, published, more })
    }
    expect(rounds).toEqual([events.slice(0, 2), events.slice(2, 5), events.slice(5)].map((round) => round.map((event) => event.eventId)))
    expect(await waiting()).toEqual([])
  })

  it('is migrated from a row per event and back without losing or reordering one (0009 up and down)', async () => {
    const opened = await Promise.all([10, 11, 12].map((id) => api.createAccount(id, '5')))
    expect(opened.every((reply) => reply.status === 201)).toBe(true)
    const batch = await api.post('/v1/transfers/batch', { atomic: false, transfers: [transfer(10, 11, '1'), transfer(11, 12, '9'), transfer(12, 10, '2')] })
    expect(batch.status).toBe(200) // not atomic: each item its own outcome, one refused
    expect(batch.body.results.map((result: { status: number }) => result.status)).toEqual([201, 422, 201])
    const before = await waiting()
    expect(before).toHaveLength(5) // three openings, two transfers: the refused one announces nothing

    await down(service.db)
    const { rows } = await sql<{ event_id: string; subject: string; payload: string }>`SELECT event_id, subject, payload FROM outbox ORDER BY id`.execute(service.db)
    expect(rows.map((row) => ({ eventId: row.event_id, subject: row.subject, payload: row.payload }))).toEqual(before.map((event) => ({ eventId: event.eventId, subject: event.subject, payload: text(event.payload) })))

    await up(service.db)
    const { rows: counts } = await sql<{ event_count: number }>`SELECT event_count FROM outbox`.execute(service.db)
    expect(counts.map((row) => Number(row.event_count))).toEqual([1, 1, 1, 1, 1])
    expect(await waiting()).toEqual(before)
  })
})
