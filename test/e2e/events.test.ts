import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JetStreamPublisher } from '../../src/adapters/nats/jetstream-publisher.js'
import type { UnitOfWork } from '../../src/ports/unit-of-work.js'
import { eventsEnv, eventually, inspector, lastStates, SHARED_NATS_URL } from './support/nats.js'
import { client, freshDatabaseUrl, type RunningService, startService } from './support/service.js'

let service: RunningService
let api: ReturnType<typeof client>
let nats: Awaited<ReturnType<typeof inspector>>
let env: Record<string, string>
/** Transfers of this amount fail after their writes are queued: the transaction rolls back. */
const DOOMED = '0.13'

/** Rolls back every transaction that carries a transfer of DOOMED, after writeBatch queued its events. */
function rollingBack(inner: UnitOfWork): UnitOfWork {
  return {
    run: (work) =>
      inner.run(async (tx) => {
        let doomed = false
        const result = await work({
          ...tx,
          transfers: {
            lock: (ids) => tx.transfers.lock(ids),
            resolve: (rows) => tx.transfers.resolve(rows),
            insert: (rows) => ((doomed ||= rows.some((row) => row.amount.toString() === DOOMED)), tx.transfers.insert(rows)),
          },
        })
        if (doomed) throw new Error('test: rolled back after the writes were queued')
        return result
      }),
  }
}

beforeAll(async () => {
  env = eventsEnv('events')
  service = await startService({ databaseUrl: freshDatabaseUrl('events'), env, decorateUnitOfWork: rollingBack })
  api = client(service)
  nats = await inspector(SHARED_NATS_URL)
})
afterAll(async () => {
  await service?.stop()
  await nats?.remove(env.NATS_STREAM!)
  await nats?.close()
})

/** docs/events.schema.json, closed: what is published must be documented, field by field. */
function schemaValidator() {
  const schema = JSON.parse(readFileSync(new URL('../../docs/events.schema.json', import.meta.url), 'utf8'))
  for (const type of ['account.opened', 'transfer.posted', 'transfer.pending', 'transfer.voided', 'transfer.expired']) schema.$defs[type].unevaluatedProperties = false
  return addFormats.default(new Ajv2020({ strict: true, allErrors: true })).compile(schema)
}

/** Events waiting in the outbox (a row holds a transaction's). */
const outboxEvents = async () => Number((await sql<{ n: string }>`SELECT COALESCE(SUM(event_count), 0) AS n FROM outbox`.execute(service.db)).rows[0]?.n)

describe('events through the outbox', () => {
  it('publishes exactly one event per acknowledged change, none for a refused or rolled-back one, in each account’s order', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => 100 + i)
    for (const id of ids) expect((await api.createAccount(id, '50')).status).toBe(201)
    expect((await api.createAccount(ids[0]!, '1')).status).toBe(409)

    // Concurrent transfers between few accounts: batches of several, every tenth refused for want of funds.
    const replies = await Promise.all(
      Array.from({ length: 400 }, (_, i) => {
        const from = ids[i % ids.length]!
        const to = ids[(i * 3 + 1) % ids.length]!
        return api.transfer(from, to === from ? ids[(i + 1) % ids.length]! : to, i % 10 === 0 ? '1000' : String(1 + (i % 9)))
      }),
    )
    const posted = replies.filter((reply) => reply.status === 201).map((reply) => reply.body.transfer_id as string)
    const refused = replies.filter((reply) => reply.status === 422).length
    expect(refused).toBeGreaterThanOrEqual(40)
    expect(posted.length + refused).toBe(400)

    // A keyed transfer, sent twice: one event, carrying the key as the client sent it.
    const keyedBody = { source_account_id: ids[1], destination_account_id: ids[2], amount: '0.5' }
    const first = await api.post('/v1/transfers', keyedBody, { 'idempotency-key': 'evt-1' })
    const replay = await api.post('/v1/transfers', keyedBody, { 'idempotency-key': 'evt-1' })
    expect([first.status, replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 201, 'true'])
    posted.push(first.body.transfer_id)

    // Rolled back after its rows were queued: answered 5xx, no transfer, no event.
    expect((await api.transfer(ids[3]!, ids[4]!, DOOMED)).status).toBe(500)

    const expected = ids.length + posted.length
    await eventually('every event in the stream', async () => (await nats.count(env.NATS_STREAM!)) >= expected && (await outboxEvents()) === 0)
    const events = await nats.events(env.NATS_STREAM!)
    expect(events).toHaveLength(expected)
    expect(new Set(events.map((event) => event.body.id)).size).toBe(expected)
    expect(events.filter((event) => event.body.type === 'account.opened').map((event) => event.body.account.account_id).sort()).toEqual(ids)
    const published = events.filter((event) => event.body.type === 'transfer.posted')
    expect(published.map((event) => event.body.transfer_id).sort()).toEqual([...posted].sort())
    expect(published.some((event) => event.body.amount === DOOMED)).toBe(false)

    const keyedEvent = published.find((event) => event.body.transfer_id === first.body.transfer_id)!
    expect(keyedEvent.body).toMatchObject({ idempotency_key: 'evt-1', created_by: service.keyId, amount: '0.5' })
    expect(keyedEvent.subject).toBe(`${env.NATS_SUBJECT_PREFIX}.transfer.posted.${ids[1]}.${ids[2]}`)
    // The message id is the event id: the stream's duplicate window drops a re-sent copy.
    expect(keyedEvent.headers['Nats-Msg-Id']).toBe(keyedEvent.body.id)

    const validate = schemaValidator()
    for (const event of events) expect(validate(event.body), JSON.stringify(validate.errors)).toBe(true)

    // Per account, versions come one by one in stream order, and the last state is the API's.
    const states = lastStates(events)
    for (const id of ids) expect(states.get(id)?.balance, `account ${id}`).toBe((await api.get(`/v1/accounts/${id}`)).body.balance)
  })

  it('lets the example consumer keep balances equal to the API’s, from the amounts alone, after a concurrent workload', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => 200 + i)
    await Promise.all(ids.map((id) => api.createAccount(id, '1000.5')))
    // Runs while the consumer reads: it starts at the stream's beginning and catches up with what follows.
    const workload = Promise.all(
      Array.from({ length: 300 }, (_, i) => api.transfer(ids[i % 6]!, ids[(i + 1 + (i % 5)) % 6]!, `${1 + (i % 7)}.000000000000000001`)),
    )
    // Two runs of one durable consumer: the second carries on where the first acknowledged, with its saved balances.
    const dir = mkdtempSync(join(tmpdir(), 'consumer-'))
    const consumer = () =>
      promisify(execFile)(process.execPath, ['examples/balance-consumer.mjs', '--once'], {
        env: { ...process.env, ...env, CONSUMER: 'e2e', STATE_FILE: join(dir, 'balances.json') },
      })
    await consumer()
    expect((await workload).every((reply) => reply.status === 201 || reply.status === 422)).toBe(true)
    await eventually('the outbox empty', async () => (await outboxEvents()) === 0)
    const { stdout, stderr } = await consumer().finally(() => rmSync(dir, { recursive: true, force: true }))
    expect(stderr).toBe('')
    const balances = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, string>
    for (const id of ids) expect(balances[id], `account ${id}`).toBe((await api.get(`/v1/accounts/${id}`)).body.balance)
  })

  it('announces two-phase transfers: pending, posted (naming the pending one), voided; each valid, in each account’s order', async () => {
    const [a, b] = [300, 301]
    for (const id of [a, b]) expect((await api.createAccount(id, '100')).status).toBe(201)
    const hold = await api.post('/v1/transfers', { source_account_id: a, destination_account_id: b, amount: '40', pending: true, timeout_s: 600 })
    expect(hold.status).toBe(201)
    const post = await api.post(`/v1/transfers/${hold.body.transfer_id}/post`, { amount: '30' })
    expect(post.status).toBe(201)
    const other = await api.post('/v1/transfers', { source_account_id: a, destination_account_id: b, amount: '5', pending: true })
    expect((await api.post(`/v1/transfers/${other.body.transfer_id}/void`, {})).status).toBe(201)

    const mine = async () =>
      (await nats.events(env.NATS_STREAM!)).filter((event) => event.subject.endsWith(`.${a}.${b}`) || event.subject.endsWith(`opened.${a}`) || event.subject.endsWith(`opened.${b}`))
    await eventually('the two-phase events', async () => (await mine()).length === 6)
    const events = await mine()
    expect(events.map((event) => event.body.type)).toEqual(['account.opened', 'account.opened', 'transfer.pending', 'transfer.posted', 'transfer.pending', 'transfer.voided'])
    const [, , pending, posted, , voided] = events.map((event) => event.body)
    expect(pending).toMatchObject({ transfer_id: hold.body.transfer_id, amount: '40', source: { balance: '100', pending_debits: '40' } })
    expect(posted).toMatchObject({ transfer_id: post.body.transfer_id, pending_transfer_id: hold.body.transfer_id, amount: '30', source: { balance: '70', pending_debits: '0' } })
    expect(voided).toMatchObject({ pending_transfer_id: other.body.transfer_id, amount: '5', source: { balance: '70', pending_debits: '0' } })
    const validate = schemaValidator()
    for (const event of events) expect(validate(event.body), JSON.stringify(validate.errors)).toBe(true)
    const states = lastStates(events)
    for (const id of [a, b]) expect(states.get(id)?.balance).toBe((await api.get(`/v1/accounts/${id}`)).body.balance)
  })

  it('has the stream drop an event sent again with the same id (what a relay killed before its delete does), and keeps order when a chain of rounds breaks', async () => {
    const own = eventsEnv('dedup')
    const settings = { natsUrl: SHARED_NATS_URL, stream: own.NATS_STREAM!, subjectPrefix: own.NATS_SUBJECT_PREFIX!, duplicateWindowSeconds: 60 }
    const killed = new JetStreamPublisher(settings)
    const restarted = new JetStreamPublisher(settings)
    const event = (n: number) => ({ eventId: `0193a1b2-0000-7000-8000-${String(n).padStart(12, '0')}`, subject: `account.opened.${n}`, payload: Buffer.from(`{"n":${n}}`), traceContext: null })
    try {
      expect(await killed.publish([event(1)])).toEqual({ duplicates: 0 })
      // A relay started anew sends one by one, acknowledged: the copy is counted and dropped.
      expect(await restarted.publish([event(1), event(2)])).toEqual({ duplicates: 1 })
      // Its next rounds are chained, each message after the one before: a repeated one is still dropped.
      expect(await restarted.publish([event(2), event(3), event(4)])).toEqual({ duplicates: 0 })
      // Another publisher's message in between: the other's chain (from event 1) and then this one's
      // (from event 4) break, and each round is sent again acknowledged.
      expect(await killed.publish([event(99)])).toEqual({ duplicates: 0 })
      expect(await restarted.publish([event(5), event(6)])).toEqual({ duplicates: 0 })
      expect(await restarted.publish([event(7)])).toEqual({ duplicates: 0 })
      expect((await nats.events(own.NATS_STREAM!)).map((stored) => stored.body.n)).toEqual([1, 2, 3, 4, 99, 5, 6, 7])
    } finally {
      await Promise.all([killed.close(), restarted.close()])
      await nats.remove(own.NATS_STREAM!)
    }
  })
})
